"""Who sent a signature: the keyed IP hash, the email domain, the user-agent family, and which address is believed."""
from types import SimpleNamespace

import pytest

from chalicelib.aws import config
from chalicelib.fraud import identity


def test_ip_hash_is_keyed_stable_and_reveals_no_address():
    one = identity.ip_hash("203.0.113.7", b"secret-a")
    assert one == identity.ip_hash("203.0.113.7", b"secret-a")
    assert len(one) == identity.IP_HASH_CHARS and "203" not in one
    assert one != identity.ip_hash("203.0.113.8", b"secret-a")
    assert one != identity.ip_hash("203.0.113.7", b"secret-b")  # another key, another hash


def test_ip_hash_of_equivalent_spellings_is_the_same():
    secret = b"k"
    assert identity.ip_hash("::ffff:203.0.113.7", secret) == identity.ip_hash("203.0.113.7", secret)
    assert identity.ip_hash("2001:DB8::1", secret) == identity.ip_hash("2001:db8:0:0::1", secret)


def test_an_ipv6_client_is_its_64_network():
    secret = b"k"
    assert identity.ip_hash("2001:db8:1:2::1", secret) == identity.ip_hash("2001:db8:1:2:ffff::9", secret)
    assert identity.ip_hash("2001:db8:1:2::1", secret) != identity.ip_hash("2001:db8:1:3::1", secret)


def test_no_address_no_hash():
    assert identity.ip_hash(None, b"k") is None
    assert identity.ip_hash("not-an-ip", b"k") is None


def test_ip_hash_differs_from_the_email_key_of_the_same_text():
    from chalicelib.identity import canonical_email

    assert identity.ip_hash("203.0.113.7", b"k") not in canonical_email.email_hash("203.0.113.7", b"k")


@pytest.mark.parametrize("agent, family", [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
     "chrome"),
    ("Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0",
     "edge"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "firefox"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Mobile/15E148 Safari/604.1", "safari"),
    ("curl/8.5.0", "curl"),
    ("python-requests/2.32.3", "python"),
    ("Mozilla/5.0 (compatible; Googlebot/2.1)", "bot"),
    ("Go-http-client/1.1", "script"),
    ("Something/1.0", "other"),
    ("", "none"),
    (None, "none"),
])
def test_user_agent_family_is_coarse(agent, family):
    assert identity.user_agent_family(agent) == family


def test_email_domain():
    assert identity.email_domain("Amina@Mail.Example.ORG") == "mail.example.org"


def request(headers=None, source_ip="198.51.100.20"):
    return SimpleNamespace(headers=headers or {}, context={"identity": {"sourceIp": source_ip}},
                           path="/petitions/{petition_id}/signatures")


@pytest.fixture
def settings(monkeypatch):
    def apply(**env):
        for name in ("TRUST_FORWARDED_FOR", "ORIGIN_SECRET"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        config.reset()
    yield apply
    config.reset()


def test_x_forwarded_for_is_ignored_unless_the_stage_trusts_it(settings):
    settings()
    forged = request({"x-forwarded-for": "203.0.113.7"})
    assert identity.client_address(forged) == "198.51.100.20"
    settings(TRUST_FORWARDED_FOR="1")
    assert identity.client_address(forged) == "203.0.113.7"
    assert identity.client_address(request({"x-forwarded-for": "203.0.113.7, 10.0.0.1"})) == "203.0.113.7"
    assert identity.client_address(request({"x-forwarded-for": "junk"})) == "198.51.100.20"


def test_behind_the_distribution_the_viewer_address_is_the_client(settings):
    settings(ORIGIN_SECRET="s3cret")
    through = request({"x-origin-verify": "s3cret", "cloudfront-viewer-address": "2001:db8::7:46532"})
    assert identity.client_address(through) == "2001:db8::7"
    forged = request({"x-origin-verify": "wrong", "cloudfront-viewer-address": "203.0.113.7:1"})
    assert identity.client_address(forged) == "198.51.100.20"  # the header is believed only with the secret
