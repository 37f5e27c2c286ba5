"""The local mail server (dev only, never deployed): SMTP in, one .eml file per message, and a page listing them.

``make run`` starts it, and the app's mailer sends to it over SMTP exactly
what it would hand to SES when deployed. Every message is written, as
received (RFC 5322), to ``.local/mail/<time>-<id>.eml``; the page lists them
newest first, shows each one's plain text with its links clickable, its HTML
part, and the raw file.

    python -m tools.local_mail --dir .local/mail --smtp-port 1025 --http-port 8025

The SMTP server is aiosmtpd's; it listens on the loopback address only and
accepts any sender and recipient (nothing is relayed anywhere).
"""
from __future__ import annotations

import argparse
import email
import html
import os
import re
import signal
import sys
import threading
import time
import uuid
from email import policy
from email.message import EmailMessage
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

NAME = re.compile(r"[0-9]{20}-[0-9a-f]{8}")
URL = re.compile(r"https?://[^\s<>\"]+")
SANDBOX = "sandbox; default-src 'none'; style-src 'unsafe-inline'"
STYLE = """
body{margin:0;font:1rem/1.5 system-ui,sans-serif;color:#1b1b1b;background:#f4f5f7}
header{background:#3b3f45;color:#fff;padding:.6rem 1rem;font-weight:700}
main{max-width:60rem;margin:0 auto;padding:1rem}
a{color:#0b4f8a}
code{word-break:break-all}
ol.mail{list-style:none;padding:0;margin:0;background:#fff}
ol.mail li{padding:.5rem .75rem;border-bottom:1px solid #d5d9de;word-break:break-word}
ol.mail a{display:block;font-weight:600;padding:.25rem 0}
ol.mail span{display:block;color:#4a4f55;font-size:.9rem}
pre{white-space:pre-wrap;word-break:break-word;background:#fff;padding:1rem;border:1px solid #d5d9de}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;background:#fff;padding:1rem}
dt{font-weight:600}dd{margin:0;word-break:break-word}
:focus-visible{outline:3px solid #ffbf47;outline-offset:0;box-shadow:0 0 0 5px #1b1b1b}
"""


# ---- receiving ------------------------------------------------------------------------

def write_message(folder: Path, content: bytes) -> Path:
    """Store one message as received; the name sorts by arrival. Written whole or not at all."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
    temporary = folder / f".{name}.tmp"
    temporary.write_bytes(content)
    os.replace(temporary, folder / f"{name}.eml")
    return folder / f"{name}.eml"


class MailDrop:
    """aiosmtpd handler: every message delivered goes to a file."""

    def __init__(self, folder: Path):
        self.folder = folder

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        write_message(self.folder, envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


# ---- reading ----------------------------------------------------------------------------

def messages(folder: Path) -> list[str]:
    """Names of the stored messages, newest first."""
    if not folder.is_dir():
        return []
    return sorted((p.stem for p in folder.glob("*.eml") if NAME.fullmatch(p.stem)), reverse=True)


def parse(folder: Path, name: str) -> EmailMessage | None:
    if not NAME.fullmatch(name):
        return None
    path = folder / f"{name}.eml"
    if not path.is_file():
        return None
    parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def linkified(text: str) -> str:
    """Plain text as HTML, with its web addresses as links."""
    out, last = [], 0
    for match in URL.finditer(text):
        out.append(html.escape(text[last:match.start()]))
        url = html.escape(match.group(0))
        out.append(f'<a href="{url}">{url}</a>')
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head><body><header>Countersign local mail</header><main>{body}</main>"
            "</body></html>")


def list_page(folder: Path) -> str:
    names = messages(folder)
    items = []
    for name in names:
        message = parse(folder, name)
        if message is None:
            continue
        subject = html.escape(str(message["Subject"] or "(no subject)"))
        to, date = html.escape(str(message["To"] or "")), html.escape(str(message["Date"] or ""))
        items.append(f'<li><a href="/messages/{name}">{subject}</a><span>To {to}</span><span>{date}</span></li>')
    listing = (f'<ol class="mail">{"".join(items)}</ol>' if items
               else "<p>No mail yet. Sign a petition that requires verification.</p>")
    body = (f"<h1>Mail sent by the app</h1><p>{len(names)} message{'s' if len(names) != 1 else ''}, newest first. "
            f"Stored as .eml files in <code>{html.escape(str(folder))}</code>. Reload to see new mail.</p>{listing}")
    return _page("Local mail", body)


def message_page(folder: Path, name: str) -> str | None:
    message = parse(folder, name)
    if message is None:
        return None
    headers = "".join(f"<dt>{field}</dt><dd>{html.escape(str(message[field] or ''))}</dd>"
                      for field in ("From", "To", "Subject", "Date"))
    plain = message.get_body(("plain",))
    text = plain.get_content() if plain is not None else ""
    links = ['<a href="/">All mail</a>', f'<a href="/messages/{name}.eml">Raw message (.eml)</a>']
    if message.get_body(("html",)) is not None:
        links.insert(1, f'<a href="/messages/{name}/html">HTML version</a>')
    body = (f"<p>{' · '.join(links)}</p><h1>{html.escape(str(message['Subject'] or '(no subject)'))}</h1>"
            f"<dl>{headers}</dl><h2>Plain text</h2><pre>{linkified(text)}</pre>")
    return _page(str(message["Subject"] or "Message"), body)


class MailPages(BaseHTTPRequestHandler):
    folder: Path = Path(".local/mail")

    def log_message(self, *args) -> None:  # quiet: make run prints enough
        pass

    def _send(self, status: int, body: bytes, content_type: str, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path = self.path.split("?", 1)[0]
        html_type = "text/html; charset=utf-8"
        if path == "/":
            return self._send(200, list_page(self.folder).encode(), html_type)
        match = re.fullmatch(r"/messages/([^/]+?)(\.eml|/html)?", path)
        if match:
            name, kind = match.groups()
            message = parse(self.folder, name)
            if message is not None and kind == ".eml":
                return self._send(200, (self.folder / f"{name}.eml").read_bytes(), "message/rfc822")
            if message is not None and kind == "/html":
                part = message.get_body(("html",))
                if part is not None:
                    # Shown as the mail client would: no scripts, nothing loaded from elsewhere.
                    return self._send(200, part.get_content().encode(), html_type, {"Content-Security-Policy": SANDBOX})
            if message is not None and kind is None:
                return self._send(200, (message_page(self.folder, name) or "").encode(), html_type)
        self._send(HTTPStatus.NOT_FOUND, _page("Not found", "<h1>No such message</h1><p><a href=\"/\">All mail</a></p>")
                   .encode(), html_type)


# ---- running ------------------------------------------------------------------------------

class LocalMail:
    """The SMTP server and the page, on the loopback address."""

    def __init__(self, folder: Path, smtp_port: int, http_port: int, host: str = "127.0.0.1"):
        from aiosmtpd.controller import Controller

        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.smtp = Controller(MailDrop(self.folder), hostname=host, port=smtp_port)
        handler = type("Pages", (MailPages,), {"folder": self.folder})
        self.http = ThreadingHTTPServer((host, http_port), handler)
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def start(self) -> LocalMail:
        self.smtp.start()
        self.thread.start()
        return self

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.smtp.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.local_mail", description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path(".local/mail"))
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    args = parser.parse_args(argv)
    server = LocalMail(args.dir, args.smtp_port, args.http_port).start()
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    print(f"local mail: SMTP on 127.0.0.1:{args.smtp_port}, page on http://127.0.0.1:{args.http_port}/", flush=True)
    try:
        stopping.wait()
    except KeyboardInterrupt:
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
