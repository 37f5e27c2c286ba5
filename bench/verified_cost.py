"""9. Verified signatures: requests and write units end to end, cost per million, and mail throughput.

End to end, a verified signature is: the sign request (one conditional put,
as for any signature), the mailer's claim on its item, the GET of the link's
page (a read) and the POST that confirms it (one conditional update). The
tally's work is the same as for an unverified signature (it counts the
confirmation's MODIFY instead of the INSERT; the records that count nothing
ride in the same batches). Baseline: the one-write path of an unverified
petition, measured in the same run.

Mail throughput: the mailer handler sending a batch of pending signatures'
messages over SMTP to the local mail server (aiosmtpd, writing .eml files),
beside a bare smtplib loop sending already-built messages to the same server.
"""
from __future__ import annotations

import json
import os
import smtplib
import tempfile
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from bench.cost import (
    API_GATEWAY_REST_PER_MILLION,
    DYNAMODB_RRU_PER_MILLION,
    DYNAMODB_WRU_PER_MILLION,
    LAMBDA_REQUESTS_PER_MILLION,
    MILLION,
    SIGN_MEMORY_MB,
    lambda_compute,
    memory_mb,
)
from bench.measure import clock
from bench.population import signer
from bench.report import Section, count, ratio
from chalicelib import mail
from chalicelib.aws import clients, config
from chalicelib.petitions import catalog
from tools import petition_admin
from tools.caches import reset_caches
from tools.request_meter import Meter

SES_PER_THOUSAND = 0.10  # SES outbound mail, us-east-1 list price, written down with the other prices
MAILER_MEMORY_MB = memory_mb("send_verification_mail")
SETTINGS = {"PUBLIC_BASE_URL": "https://petitions.example.org", "MAIL_FROM": "Countersign <petitions@example.org>"}


@contextmanager
def mail_settings(extra: dict | None = None):
    """The mailer's settings, for the length of a measurement."""
    wanted = {**SETTINGS, **(extra or {})}
    before = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    os.environ.setdefault("VERIFY_TOKEN_SECRET", "bench-token-secret")
    config.reset()
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        config.reset()


class Outbox:
    def __init__(self):
        self.sent: list = []

    def send(self, message) -> str:
        self.sent.append(message)
        return str(len(self.sent))


def stream_records(petition_id: str) -> list[dict]:
    """Every stream record of one petition's signatures so far, in Lambda's shape."""
    from tools.lambda_events import lambda_record

    streams = clients.dynamodb_streams()
    arn = clients.dynamodb().describe_table(TableName=config.settings().signatures_table)["Table"]["LatestStreamArn"]
    found = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            reply = streams.get_records(ShardIterator=iterator, Limit=1000)
            for raw in reply["Records"]:
                image = raw["dynamodb"].get("NewImage") or raw["dynamodb"].get("OldImage") or {}
                if image.get("petition_id", {}).get("S") == petition_id:
                    found.append(lambda_record(raw, arn))
            if not reply["Records"]:
                break
            iterator = reply.get("NextShardIterator")
    return found


def _event(records: list[dict]) -> dict:
    return {"Records": records}


def _per_step(meters: dict[str, Meter], per: dict[str, int]) -> dict[str, dict[str, float]]:
    return {step: {"requests": m.requests / (n := per[step]), "writes": m.writes / n, "units": m.capacity() / n,
                   "reads": m.count("GetItem") / n, "read_units": m.capacity("GetItem") / n,
                   "unreported": m.unreported()}
            for step, m in meters.items()}


def measure_path(http, new_petition, mailer_handler, n: int) -> dict:
    """Requests and units per signature for each step of the verified path, and for the one-write path."""
    plain, verified = new_petition("plain"), new_petition("verified")
    petition_admin.update(verified, require_verification=True)
    catalog.reset()
    headers = {"content-type": "application/json"}
    for petition_id in (plain, verified):  # read each petition into the container's cache
        http.post(f"/petitions/{petition_id}/signatures", body=json.dumps(signer(0, "GB", "warm")), headers=headers)

    meters = {step: Meter() for step in ("one-write sign", "sign", "mail claim", "confirm page", "confirm")}
    bodies = [signer(i, "GB", "verified") for i in range(1, n + 1)]
    with meters["one-write sign"].active():
        for body in bodies:
            response = http.post(f"/petitions/{plain}/signatures", body=json.dumps(body), headers=headers)
            assert response.status_code == 202
    with meters["sign"].active():
        for body in bodies:
            assert http.post(f"/petitions/{verified}/signatures", body=json.dumps(body),
                             headers=headers).status_code == 202

    records = [r for r in stream_records(verified) if r["eventName"] == "INSERT"]
    outbox = Outbox()
    real = mail.sender
    mail.sender = lambda: outbox  # type: ignore[assignment]  # counted without a mail server
    try:
        with meters["mail claim"].active():
            reply = mailer_handler(_event(records))
    finally:
        mail.sender = real  # type: ignore[assignment]
    assert reply == {"batchItemFailures": []}, reply

    links = []
    for message in outbox.sent[1:]:  # the first is the warm-up signer's
        text = message.get_body(("plain",)).get_content()
        links.append(next(w for w in text.split() if "/confirm?token=" in w).split("petitions.example.org", 1)[1])
    with meters["confirm page"].active():
        for link in links:
            assert http.get(link).status_code == 200
    with meters["confirm"].active():
        for link in links:
            token = link.split("token=", 1)[1]
            response = http.post(f"/petitions/{verified}/confirm", body=urlencode({"token": token}),
                                 headers={"content-type": "application/x-www-form-urlencoded"})
            assert response.status_code == 200
    per = {step: n for step in meters} | {"mail claim": len(records)}  # the warm-up signer's mail too
    return {"steps": _per_step(meters, per), "mails": len(outbox.sent) - 1, "n": n}


def measure_throughput(mailer_handler, new_petition, http, n: int) -> dict:
    """Mails per second through the mailer to a real SMTP server, beside bare smtplib sends."""
    from tools.ddblocal import free_port
    from tools.local_mail import LocalMail

    folder = Path(tempfile.mkdtemp(prefix="bench-mail-"))
    server = LocalMail(folder, free_port(), free_port()).start()
    try:
        with mail_settings({"MAIL_TRANSPORT": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(server.smtp.port)}):
            petition_id = new_petition("mailrate")
            petition_admin.update(petition_id, require_verification=True)
            catalog.reset()
            for i in range(n):
                http.post(f"/petitions/{petition_id}/signatures", body=json.dumps(signer(i, "FR", "rate")),
                          headers={"content-type": "application/json"})
            records = [r for r in stream_records(petition_id) if r["eventName"] == "INSERT"]
            started = clock()
            reply = mailer_handler(_event(records))
            ours = clock() - started
            assert reply == {"batchItemFailures": []}, reply
            built = [path.read_bytes() for path in sorted(folder.glob("*.eml"))]
            started = clock()
            for raw in built:  # the same bytes, one connection each as the mailer makes
                with smtplib.SMTP("127.0.0.1", server.smtp.port, timeout=10) as smtp:
                    smtp.sendmail("petitions@example.org", ["someone@example.org"], raw)
            bare = clock() - started
    finally:
        server.stop()
    delivered = len(list(folder.glob("*.eml")))
    return {"mails": len(built), "ours_per_s": len(built) / ours, "bare_per_s": len(built) / bare,
            "delivered": delivered}


def run(http, new_petition, mailer_handler, n: int = 100, sign_ms: float = 2.0, unverified_cost: float | None = None,
        throughput_n: int = 100) -> Section:
    section = Section(11, "Verified signatures (email double opt-in)")
    with mail_settings():
        path = measure_path(http, new_petition, mailer_handler, n)
    rate = measure_throughput(mailer_handler, new_petition, http, throughput_n)
    reset_caches()
    steps = path["steps"]
    base = steps["one-write sign"]
    verified = [steps[s] for s in ("sign", "mail claim", "confirm page", "confirm")]
    requests = sum(s["requests"] for s in verified)
    writes = sum(s["writes"] for s in verified)
    reported = all(s["unreported"] == 0 for s in steps.values())
    units = sum(s["units"] for s in verified) if reported else writes  # 1 unit per write: items stay under 1 KB
    base_units = base["units"] if reported else base["writes"]
    read_units = sum(s["read_units"] for s in verified) if reported else sum(s["reads"] for s in verified)

    section.row("Verified signature: DynamoDB requests end to end (sign, mail claim, link page, confirm)",
                f"{count(requests)} ({' + '.join(count(s['requests']) for s in verified)})",
                f"{count(base['requests'])} (one-write sign)", ratio(requests, base["requests"]))
    section.row("Verified signature: write units end to end", f"{count(units)} in {count(writes)} writes",
                f"{count(base_units)} in {count(base['writes'])} write", ratio(units, base_units))
    section.row("Verified signature: sign request alone (requests / write units)",
                f"{count(steps['sign']['requests'])} / {count(steps['sign']['units'] if reported else 1)}",
                f"{count(base['requests'])} / {count(base_units)}", "")
    section.row("Mail send throughput, mailer to local SMTP server (aiosmtpd, .eml files)",
                f"{rate['ours_per_s']:,.0f} mails/s ({rate['mails']} mails)",
                f"{rate['bare_per_s']:,.0f} mails/s (bare smtplib, same messages)",
                ratio(rate["bare_per_s"], rate["ours_per_s"]) + " the time")

    # Cost per million verified signatures, on top of what every signature costs.
    m = MILLION
    lines = {
        "API Gateway: link page and confirm (2 requests)": 2 * m * API_GATEWAY_REST_PER_MILLION / MILLION,
        "Lambda (API): 2 more requests": 2 * m * LAMBDA_REQUESTS_PER_MILLION / MILLION,
        "Lambda (API): their duration (each at the sign request's)": lambda_compute(2 * m, sign_ms, SIGN_MEMORY_MB),
        "Lambda (mailer): requests (batches of 25)": m / 25 * LAMBDA_REQUESTS_PER_MILLION / MILLION,
        "Lambda (mailer): duration (a send is ~50 ms against SES, an assumption)":
            lambda_compute(m, 50, MAILER_MEMORY_MB),
        "DynamoDB: claim and confirm writes": m * (units - base_units) * DYNAMODB_WRU_PER_MILLION / MILLION,
        "DynamoDB: link page reads (strongly consistent)": m * read_units * DYNAMODB_RRU_PER_MILLION / MILLION,
        "SES: one message per signature (resends extra)": m / 1000 * SES_PER_THOUSAND,
    }
    extra = sum(lines.values())
    total = extra + (unverified_cost or 0)
    section.row("Cost per million verified signatures on AWS (including SES)",
                f"${total:.2f}" if unverified_cost else f"${extra:.2f} on top of an unverified signature",
                f"${unverified_cost:.2f} (unverified, benchmark 8)" if unverified_cost else "n/a",
                ratio(total, unverified_cost) if unverified_cost else "")
    section.notes += [
        f"- {n} signers on a verification petition through the Chalice app in process against the engine, each "
        "signature's INSERT handed to the deployed mailer (`app.send_verification_mail`) with a sender that keeps "
        "the messages, then each link's page fetched and its button posted; every botocore request counted. "
        f"The same {n} signers on an unverified petition are the baseline. Per step (requests): "
        + ", ".join(f"{name} {count(s['requests'])}" for name, s in steps.items()) + ".",
        "- The sign request of a verified petition is still one conditional PutItem; the claim and the "
        "confirmation are one conditional UpdateItem each; the link's page is one strongly consistent GetItem; "
        "the confirmed page reads the totals (one GetItem) to show the count. "
        "Write units " + ("as the engine reports them." if reported else
                          "are 1 per write (the engine reports none; items stay under 1 KB)."),
        "- The tally's counter writes are per batch, not per signature, and the same as for unverified "
        "signatures: the records that count nothing (pending INSERT, claim) ride in the same batches.",
        f"- Mail throughput: {rate['mails']} pending signatures' INSERT records in one batch through the mailer "
        "(build, claim on DynamoDB, SMTP send with one connection per message) to the local mail server, "
        f"{rate['delivered']} .eml files written in all; the baseline sends the same bytes with bare smtplib. "
        "Deployed, SES's sending quota (14 messages/s for a new production account) is the limit, not the mailer.",
        "",
        "| Line (verified, on top of an unverified signature) | per million |",
        "|---|---|",
        *(f"| {name} | ${value:.4f} |" for name, value in lines.items()),
        "",
        f"SES at ${SES_PER_THOUSAND:.2f} per 1,000 messages dominates: ${m / 1000 * SES_PER_THOUSAND:.0f} of the "
        f"${extra:.2f} per million.",
    ]
    section.headline = _headline(requests, units, base["requests"], base_units, rate["ours_per_s"],
                                 f"${extra:.2f} more per million on AWS, with SES")
    section.data = {"requests": requests, "units": units, "writes": writes, "base_requests": base["requests"],
                    "base_units": base_units, "steps": steps, "mails": path["mails"], "throughput": rate,
                    "extra_cost": extra}
    return section


def compare_cost(section: Section, unverified_cost: float) -> None:
    """Put benchmark 8's cost of an unverified signature beside the verified one (known only at the end)."""
    extra = section.data["extra_cost"]
    total = unverified_cost + extra
    for row in section.rows:
        if row.what.startswith("Cost per million verified"):
            row.measured, row.baseline = f"${total:.2f}", f"${unverified_cost:.2f} (unverified, benchmark 8)"
            row.ratio = ratio(total, unverified_cost)
    data = section.data
    section.headline = _headline(data["requests"], data["units"], data["base_requests"], data["base_units"],
                                 data["throughput"]["ours_per_s"],
                                 f"${total:.2f} per million on AWS with SES (unverified: ${unverified_cost:.2f})")
    section.data["total_cost"] = total


def _headline(requests, units, base_requests, base_units, mails_per_second, cost_words: str) -> str:
    return (f"Verified signature: {count(requests)} DynamoDB requests and {count(units)} write units end to end "
            f"(one-write path: {count(base_requests)} and {count(base_units)}); {cost_words}; the mailer sends "
            f"{mails_per_second:,.0f} mails/s to the local SMTP server.")
