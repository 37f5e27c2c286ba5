"""Pages, field errors, JSON errors and mail in the signer's language, through Chalice's test client on moto."""
from __future__ import annotations

import email
import json
import re
from email import policy

import pytest
import pyuca

from chalicelib import i18n, mail
from chalicelib.aws import config
from chalicelib.i18n import negotiation
from chalicelib.petitions import catalog
from tests.support.pages import Elements, get, set_totals
from tools import petition_admin

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}


# ---- choosing the language: pure ----------------------------------------------

@pytest.mark.parametrize("query, cookie, accept, expected", [
    ("fr", None, "es", ("fr", True)),                 # ?lang= wins, and is remembered
    ("fr", "lang=fr", "es", ("fr", False)),           # already remembered
    (None, "lang=uk", "fr-FR,fr;q=0.9", ("uk", False)),  # then the switcher's cookie
    (None, None, "de-DE, ar;q=0.8, fr;q=0.5", ("ar", False)),  # then the best of ours in Accept-Language
    (None, None, "es-419", ("es", False)),
    (None, None, "de, it", ("en", False)),            # none of ours: English
    ("xx", "lang=zz", "pt", ("en", False)),           # made-up values are ignored
    (None, "lang=fr; other=\"unterminated", None, ("fr", False)),  # what can be read of a mangled header
    (None, "=;;\"\x00", None, ("en", False)),      # and nothing else is an error
    (None, None, "fr;q=0, es;q=0.1", ("es", False)),
])
def test_language_comes_from_query_then_cookie_then_accept_language(query, cookie, accept, expected):
    choice = negotiation.negotiate(query, cookie, accept)
    assert (choice.language, choice.remember) == expected


# ---- pages ---------------------------------------------------------------------

@pytest.mark.parametrize("header, tags", [
    ("fr-CA;q=0.5, de-AT", ["de-AT", "fr-CA"]),
    ("en-GB;q=abc, fr-FR;q=0.5, es;q=0", ["fr-FR"]),  # a weight that is not a number, and q=0, leave a tag out
    ("en , fr ;q=0.9,,", ["en", "fr"]),
    ("", []),
    (None, []),
])
def test_accept_language_is_read_in_order_of_preference(header, tags):
    assert negotiation.preferred_tags(header) == tags


def test_only_the_first_entries_of_accept_language_are_read():
    padding = ", ".join(["de-DE;q=0.9"] * negotiation.MAX_RANGES)
    assert negotiation.preferred_tags(padding + ", fr-FR") == ["de-DE"] * negotiation.MAX_RANGES
    assert negotiation.negotiate(None, None, padding + ", fr") == negotiation.Choice("en", remember=False)


def test_a_french_browser_gets_the_sign_page_in_french(client, petition):
    set_totals({"GB": 8500, "FR": 1_100_000})
    response, page = get(client, "/petitions/demo/sign", **{"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert response.headers["Content-Language"] == "fr"
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response.headers["Vary"].split(",")}
    assert '<html lang="fr" dir="ltr"' in page
    assert '<label for="name">Nom complet</label>' in page and "Signer la pétition" in page
    assert "1\u202f108\u202f500" in page  # CLDR's French grouping: a narrow no-break space
    assert 'action="/petitions/demo/signatures?lang=fr"' in page


def test_arabic_reads_right_to_left_with_cldr_numbers(client, petition):
    set_totals({"GB": 8500})
    response, page = get(client, "/petitions/demo/sign?lang=ar")
    assert '<html lang="ar" dir="rtl"' in page and "وقّع على العريضة" in page
    assert "8,500" in page  # CLDR's default digits for ar are Latin ones (numbering system latn)


def test_the_switcher_links_every_language_and_its_link_sets_the_cookie(client, petition):
    _, page = get(client, "/petitions/demo/sign?source=partner-x")
    links = {a["hreflang"]: a["href"] for a in Elements(page).all("a") if "hreflang" in a}
    assert set(links) == set(i18n.LANGUAGES)
    assert links["uk"] == "/petitions/demo/sign?source=partner-x&lang=uk"  # the campaign code survives
    response = client.get("/petitions/demo/sign?lang=uk")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=uk;") and "Path=/" in cookie and "HttpOnly" in cookie
    assert response.headers["Cache-Control"] == "private, no-store"  # one visitor's answer, not a shared page
    # The next page, reached by a plain link, stays in Ukrainian.
    again, page = get(client, "/privacy", Cookie="lang=uk", **{"Accept-Language": "en"})
    assert again.headers["Content-Language"] == "uk" and "Повідомлення про конфіденційність" in page
    assert "Set-Cookie" not in again.headers and again.headers["Cache-Control"].startswith("public")


@pytest.mark.parametrize("language", i18n.LANGUAGES)
@pytest.mark.parametrize("path", ["/", "/petitions/demo/sign", "/petitions/demo/thanks", "/petitions/demo/dashboard",
                                  "/privacy", "/petitions/nope/sign"])
def test_every_public_page_renders_in_every_language(client, petition, language, path):
    response, page = get(client, f"{path}?lang={language}")
    assert response.headers["Content-Language"] == language
    assert f'<html lang="{language}" dir="{i18n.direction(language)}"' in page
    skip = re.search(r'<a class="skip" href="#main">([^<]+)</a>', page)[1]
    with i18n.using(language):
        assert skip == i18n.gettext("Skip to content")


@pytest.mark.parametrize("language", ["fr", "es", "ar", "uk"])
def test_the_country_list_is_in_the_language_and_its_collation(client, petition, language):
    _, page = get(client, f"/petitions/demo/sign?lang={language}")
    names = re.findall(r'<option value="[A-Z]{2}"[^>]*>([^<]+)</option>', page)
    assert len(names) >= 249
    from html import unescape
    names = [unescape(n) for n in names]
    collator = pyuca.Collator()
    assert names == sorted(names, key=collator.sort_key)
    from babel import Locale
    assert Locale.parse(language).territories["GB"] in names


def test_french_country_names_sort_accents_with_their_letter(client, petition):
    _, page = get(client, "/petitions/demo/sign?lang=fr")
    names = re.findall(r'<option value="([A-Z]{2})"', page)
    # Égypte, Émirats arabes unis, Équateur, Érythrée sit among the E's, not after Z.
    assert names.index("ES") < names.index("EE") < names.index("ET") and names.index("EG") < names.index("ES")
    assert names.index("ZW") == len(names) - 1


def test_the_dashboard_names_countries_in_the_page_language(client, petition):
    set_totals({"GB": 8500, "DE": 7})
    _, page = get(client, "/petitions/demo/dashboard?lang=es")
    assert '<span class="name">Reino Unido</span><span class="n" data-n="8500">8.500</span>' in page
    data = json.loads(re.search(r'<script type="application/json" id="country-names">(.*?)</script>', page)[1])
    assert data["DE"] == "Alemania"


def test_admin_pages_stay_in_english_without_a_switcher(client, petition):
    response, page = get(client, "/admin/sign-in?lang=fr", **{"Accept-Language": "fr"})
    assert '<html lang="en"' in page and 'hreflang="fr"' not in page
    assert "Content-Language" not in response.headers and "lang=" not in response.headers.get("Set-Cookie", "")


# ---- messages to signers ---------------------------------------------------------

def test_form_errors_are_in_the_language_of_the_form(client, petition):
    response = client.post("/petitions/demo/signatures?lang=fr", headers=FORM, body="name=&email=nope&consent=yes")
    page = response.body.decode()
    assert response.status_code == 422 and response.headers["Content-Language"] == "fr"
    assert "Saisissez votre nom." in page and "Saisissez une adresse e-mail valide" in page
    assert "Choisissez votre pays." in page and "Votre signature pose un problème" in page


def test_json_errors_follow_accept_language_with_the_same_keys(client, petition):
    body = json.dumps({"name": "", "email": "x", "country": "ZZ"})
    english = json.loads(client.post("/petitions/demo/signatures", headers=JSON, body=body).body)
    spanish = client.post("/petitions/demo/signatures", headers={**JSON, "Accept-Language": "es-ES"}, body=body)
    assert spanish.status_code == 422 and spanish.headers["Content-Language"] == "es"
    errors = json.loads(spanish.body)["errors"]
    assert set(errors) == set(english["errors"]) == {"name", "email", "country", "consent"}
    assert errors["name"] == "Escribe tu nombre." and errors["country"] == "Elige tu país de la lista."
    ukrainian = client.post("/petitions/demo/signatures", headers={**JSON, "Accept-Language": "uk"}, body="[1]")
    assert json.loads(ukrainian.body) == {"error": "Тіло запиту має бути об’єктом JSON із полями."}
    missing = client.get("/petitions/nope", headers={"Accept-Language": "ar"})
    assert json.loads(missing.body) == {"error": "لا توجد عريضة بهذا المعرّف."}


def test_the_limits_in_messages_are_the_rules_own(client, petition):
    body = json.dumps({"name": "x" * 256, "email": "a@example.org", "country": "GB", "consent": True,
                       "postcode": "1" * 17})
    errors = json.loads(client.post("/petitions/demo/signatures?lang=fr", headers=JSON, body=body).body)["errors"]
    assert errors == {"name": "Votre nom doit compter au plus 255 caractères.",
                      "postcode": "Votre code postal doit compter au plus 16 caractères."}


def test_a_form_signature_thanks_in_its_language(client, petition):
    body = "name=Amina&email=amina%40example.org&country=GB&consent=yes"
    response = client.post("/petitions/demo/signatures?lang=uk", headers=FORM, body=body)
    assert response.status_code == 303 and response.headers["Location"] == "/petitions/demo/thanks?lang=uk"
    _, page = get(client, response.headers["Location"])
    assert "Дякуємо за підпис" in page


@pytest.fixture
def outbox(monkeypatch):
    sent = []

    class Box:
        def send(self, message):
            sent.append(message)
            return str(len(sent))

    monkeypatch.setattr(mail, "sender", lambda: Box())
    return sent


def test_the_verification_mail_is_in_the_language_they_signed_in(client, petition, outbox, monkeypatch):
    from tests.support.mailer import deliver, run_mailer

    monkeypatch.setenv("PUBLIC_BASE_URL", "https://petitions.example.org/api")
    monkeypatch.setenv("MAIL_FROM", "Countersign <petitions@example.org>")
    config.reset()
    petition_admin.update("demo", require_verification=True)
    catalog.reset()
    body = json.dumps({"name": "Amina", "email": "amina@example.org", "country": "GB", "consent": True})
    assert client.post("/petitions/demo/signatures?lang=fr", headers=JSON, body=body).status_code == 202
    run_mailer(deliver()[1])
    [message] = outbox
    assert message["Subject"] == "Confirmez votre signature : Protect people seeking asylum"
    assert message["Content-Language"] == "fr"
    parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert "Bonjour Amina," in text and "Le lien est valable 7 jours." in text
    assert '<html lang="fr" dir="ltr">' in html and "Confirmer ma signature" in html


def test_an_arabic_mail_reads_right_to_left(client, petition, outbox, monkeypatch):
    from tests.support.mailer import deliver, run_mailer

    monkeypatch.setenv("PUBLIC_BASE_URL", "https://petitions.example.org/api")
    monkeypatch.setenv("MAIL_FROM", "petitions@example.org")
    config.reset()
    petition_admin.update("demo", require_verification=True)
    catalog.reset()
    body = json.dumps({"name": "Amina", "email": "amina@example.org", "country": "GB", "consent": True})
    client.post("/petitions/demo/signatures", headers={**JSON, "Accept-Language": "ar"}, body=body)
    run_mailer(deliver()[1])
    html = email.message_from_bytes(outbox[0].as_bytes(), policy=policy.default).get_body(("html",)).get_content()
    assert '<html lang="ar" dir="rtl">' in html and "أكّد توقيعي" in html
