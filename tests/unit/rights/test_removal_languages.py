"""The removal pages and the removal mail speak the page's language, like every other public page."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.support.moto_stack import sign
from tests.support.rights import FORM

HEADINGS = {"en": "Remove your signature", "fr": "Retirer votre signature", "es": "Retirar tu firma",
            "ar": "إزالة توقيعك", "uk": "Відкликати свій підпис"}
SUBJECTS = {"en": "Remove your signature: ", "fr": "Retirer votre signature : ", "es": "Retirar tu firma: ",
            "ar": "إزالة توقيعك: ", "uk": "Відкликати свій підпис: "}


@pytest.mark.parametrize("language", sorted(HEADINGS))
def test_every_removal_page_and_the_mail_are_in_the_pages_language(removal_outbox, client, petition,
                                                                   language):
    sign(client, "Amina Yusuf", "amina@example.org", "GB")
    form = client.get(f"/petitions/demo/remove?lang={language}")
    page = form.body.decode()
    assert form.headers["Content-Language"] == language and "Accept-Language" in form.headers["Vary"]
    assert f"<h1>{HEADINGS[language]}</h1>" in page
    assert f'dir="{"rtl" if language == "ar" else "ltr"}"' in page
    assert 'hreflang="fr"' in page or "lang=fr" in page  # the language switcher
    wrong = client.post(f"/petitions/demo/remove?lang={language}", headers=FORM, body="email=nope")
    assert wrong.status_code == 422 and wrong.headers["Content-Language"] == language
    sent = client.post(f"/petitions/demo/remove?lang={language}", headers=FORM,
                       body=urlencode({"email": "amina@example.org"}))
    assert sent.status_code == 200 and sent.headers["Content-Language"] == language
    [mail] = removal_outbox.sent
    assert mail["Subject"] == SUBJECTS[language] + "Protect people seeking asylum"
    assert mail["Content-Language"] == language
    token = removal_outbox.link().split("token=", 1)[1]
    link = client.get(f"/petitions/demo/remove/confirm?token={token}&lang={language}")
    assert link.status_code == 200 and link.headers["Content-Language"] == language
    assert link.headers["Referrer-Policy"] == "no-referrer"
    done = client.post(f"/petitions/demo/remove/confirm?lang={language}", headers=FORM,
                       body=urlencode({"token": token}))
    assert done.status_code == 200 and done.headers["Content-Language"] == language
    if language != "en":
        assert "Your signature has been removed" not in done.body.decode()


def test_the_json_answer_follows_accept_language(removal_outbox, client, petition):
    reply = client.post("/petitions/demo/remove", headers={"Content-Type": "application/json",
                                                           "Accept-Language": "es"},
                        body='{"email": "someone@example.org"}')
    assert reply.status_code == 202 and "funciona durante 24 horas" in reply.json_body["message"]
    bad = client.post("/petitions/demo/remove", headers={"Content-Type": "application/json",
                                                         "Accept-Language": "fr"}, body='{"email": "x"}')
    assert bad.status_code == 422 and bad.json_body["errors"]["email"].startswith("Saisissez")
