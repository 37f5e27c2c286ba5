"""A local stand-in for Cloudflare Turnstile's siteverify endpoint (dev and tests only, never deployed).

`make run` starts it and points ``CHALLENGE_VERIFY_URL`` at it; tests start it
in a thread. It follows Turnstile's documented testing keys:

- secret ``1x0000000000000000000000000000000AA`` passes the dummy token
  ``XXXX.DUMMY.TOKEN.XXXX`` (what the widget gives with a test site key) and
  refuses any other token (``invalid-input-response``);
- secret ``2x0000000000000000000000000000000AA`` refuses every token;
- secret ``3x0000000000000000000000000000000AA`` answers ``timeout-or-duplicate``;
- no secret, or another one, gets ``missing-input-secret`` / ``invalid-input-secret``,
  and no token ``missing-input-response``, as the real endpoint answers.

    python -m tools.siteverify_stub --port 8026
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

PASSING_SECRET = "1x0000000000000000000000000000000AA"
FAILING_SECRET = "2x0000000000000000000000000000000AA"
SPENT_SECRET = "3x0000000000000000000000000000000AA"
DUMMY_TOKEN = "XXXX.DUMMY.TOKEN.XXXX"
# The widget's public test key that always passes (what `make run` gives the pages).
PASSING_SITE_KEY = "1x00000000000000000000AA"
PATH = "/turnstile/v0/siteverify"


def answer(form: dict[str, str]) -> dict:
    """What siteverify answers to this form."""
    secret, token = form.get("secret", ""), form.get("response", "")
    if not secret:
        return {"success": False, "error-codes": ["missing-input-secret"]}
    if secret not in (PASSING_SECRET, FAILING_SECRET, SPENT_SECRET):
        return {"success": False, "error-codes": ["invalid-input-secret"]}
    if not token:
        return {"success": False, "error-codes": ["missing-input-response"]}
    if secret == SPENT_SECRET:
        return {"success": False, "error-codes": ["timeout-or-duplicate"]}
    if secret == PASSING_SECRET and token == DUMMY_TOKEN:
        return {"success": True, "error-codes": [], "challenge_ts": "2026-01-01T00:00:00.000Z",
                "hostname": "localhost", "action": "", "cdata": ""}
    return {"success": False, "error-codes": ["invalid-input-response"]}


class Handler(BaseHTTPRequestHandler):
    server_version = "siteverify-stub"
    calls = 0  # how many checks were asked for (tests read it)

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        if self.path.split("?", 1)[0] != PATH:
            self._reply(404, {"success": False, "error-codes": ["not-found"]})
            return
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, 64 * 1024)).decode("utf-8", "replace")
        form = {name: values[-1] for name, values in parse_qs(raw, keep_blank_values=True).items()}
        type(self).calls += 1
        self._reply(200, answer(form))

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        pass  # the secret is in the body, never logged; nothing else worth a line


def serve(port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Start the stub in a thread; its address is ``url(server)``. Stop with ``server.shutdown()``."""
    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}{PATH}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.siteverify_stub", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8026)
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
