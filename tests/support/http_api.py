"""API Gateway events, as an HTTP API or a REST API delivers them, replayed through the app."""
from __future__ import annotations

import base64

from app import app

API_ID = "n2gti2n4a3"


HOST = f"{API_ID}.execute-api.eu-west-2.amazonaws.com"


TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml")


def http_api_event(method: str, route: str, path: str, *, stage: str = "$default", headers: dict | None = None,
                   query: dict[str, list[str]] | None = None, body: bytes | None = None,
                   path_parameters: dict | None = None) -> dict:
    """The payload 1.0 event an HTTP API sends its Lambda integration for this request."""
    headers = {"Host": HOST, "User-Agent": "Mozilla/5.0", "X-Amzn-Trace-Id": "Root=1-613d0e66-33a0353b187916c54dbb176e",
               "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Port": "443", "X-Forwarded-Proto": "https",
               **(headers or {})}
    if body is not None:
        headers.setdefault("Content-Length", str(len(body)))
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    text = content_type.lower().startswith(TEXT_TYPES)
    full_path = path if stage == "$default" else f"/{stage}{path}"
    return {
        "version": "1.0",
        "resource": route,
        "path": full_path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
        "multiValueQueryStringParameters": query or None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": API_ID,
            "domainName": HOST,
            "domainPrefix": API_ID,
            "extendedRequestId": "Fg8wBjeaIAMEJeQ=",
            "httpMethod": method,
            "identity": {"accessKey": None, "accountId": None, "caller": None, "cognitoAmr": None,
                         "cognitoAuthenticationProvider": None, "cognitoAuthenticationType": None,
                         "cognitoIdentityId": None, "cognitoIdentityPoolId": None, "principalOrgId": None,
                         "sourceIp": "203.0.113.9", "user": None, "userAgent": "Mozilla/5.0", "userArn": None},
            "path": full_path,
            "protocol": "HTTP/1.1",
            "requestId": "Fg8wBjeaIAMEJeQ=",
            "requestTime": "27/Nov/2026:20:15:34 +0000",
            "requestTimeEpoch": 1795810534389,
            "resourceId": f"{method} {route}",
            "resourcePath": route,
            "stage": stage,
        },
        "pathParameters": path_parameters,
        "stageVariables": None,
        "body": None if body is None else (body.decode("utf-8") if text else base64.b64encode(body).decode()),
        "isBase64Encoded": body is not None and not text,
    }


def served(event: dict) -> dict:
    reply = app(event, None)
    assert set(reply) <= {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
    assert isinstance(reply["body"], str)
    return reply


PETITION = {"petition_id": "demo"}
