"""The local mail server of `make run`: SMTP in, .eml files out, a page listing them newest first."""
from __future__ import annotations

import email
import urllib.error
import urllib.request
from email import policy

import pytest

from chalicelib import mail
from tools import devstack, local_mail
from tools.ddblocal import free_port


@pytest.fixture
def server(tmp_path):
    running = local_mail.LocalMail(tmp_path / "mail", free_port(), free_port()).start()
    yield running
    running.stop()


def message(subject: str, to: str = "amina@example.org"):
    return mail.compose(sender="Countersign <no-reply@countersign.localhost>", to=to, subject=subject,
                        text="Confirm here:\nhttp://127.0.0.1:8000/petitions/demo/confirm?token=abc.def&x=1\n",
                        html='<p><a href="http://127.0.0.1:8000/petitions/demo/confirm?token=abc.def">Confirm</a></p>')


def fetch(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, dict(response.headers), response.read().decode()


def test_each_message_sent_over_smtp_is_one_eml_file_as_received(server):
    sent = message("First")
    mail.SmtpSender("127.0.0.1", server.smtp.port).send(sent)
    [path] = list(server.folder.glob("*.eml"))
    stored = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert stored["Subject"] == "First" and stored["Message-ID"] == sent["Message-ID"]
    assert stored.get_body(("plain",)).get_content().replace("\r\n", "\n") == sent.get_body(("plain",)).get_content()


def test_the_page_lists_messages_newest_first_and_shows_each_with_clickable_links(server):
    for subject in ("Older <one>", "Newer"):
        mail.SmtpSender("127.0.0.1", server.smtp.port).send(message(subject))
    base = f"http://127.0.0.1:{server.http.server_address[1]}"
    status, headers, page = fetch(base + "/")
    assert status == 200 and "2 messages" in page
    assert page.index("Newer") < page.index("Older &lt;one&gt;")  # escaped, newest first
    newest = local_mail.messages(server.folder)[0]
    _, _, shown = fetch(f"{base}/messages/{newest}")
    assert ('<a href="http://127.0.0.1:8000/petitions/demo/confirm?token=abc.def&amp;x=1">' in shown)
    _, html_headers, html_part = fetch(f"{base}/messages/{newest}/html")
    assert html_headers["Content-Security-Policy"].startswith("sandbox") and "Confirm</a>" in html_part
    _, raw_headers, raw = fetch(f"{base}/messages/{newest}.eml")
    assert raw_headers["Content-Type"] == "message/rfc822" and "Subject: Newer" in raw


@pytest.mark.parametrize("path", ["/messages/../../etc/passwd", "/messages/nope", "/messages/00000000000000000000-"
                                  "deadbeef", "/elsewhere"])
def test_anything_else_is_404(server, path):
    with pytest.raises(urllib.error.HTTPError) as answer:
        fetch(f"http://127.0.0.1:{server.http.server_address[1]}{path}")
    assert answer.value.code == 404


def test_an_empty_folder_says_so(tmp_path):
    assert "No mail yet" in local_mail.list_page(tmp_path / "missing")


def test_the_dev_stack_sends_its_mail_to_the_local_server_with_a_stable_token_secret(tmp_path):
    stack = devstack.DevStack(tmp_path, endpoint="http://127.0.0.1:9", port=8123, mail_port=8125, smtp_port=8126)
    env = stack.env
    assert (env["MAIL_TRANSPORT"], env["SMTP_HOST"], env["SMTP_PORT"]) == ("smtp", "127.0.0.1", "8126")
    assert env["MAIL_FROM"] and env["PUBLIC_BASE_URL"] == "http://127.0.0.1:8123"
    assert env["VERIFY_TOKEN_SECRET"] == devstack.verify_token_secret(tmp_path) != env["SIGNATURE_KEY_SECRET"]
    assert (tmp_path / "verify-token-secret").stat().st_mode & 0o077 == 0
    assert stack.mail_url == "http://127.0.0.1:8125" and stack.mail_dir == tmp_path / "mail"
