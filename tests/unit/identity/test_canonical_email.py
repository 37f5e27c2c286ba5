import pytest

from chalicelib.identity.canonical_email import canonical_email, email_hash, signature_key


@pytest.mark.parametrize("address, canonical", [
    ("Ann@Example.org", "ann@example.org"),
    ("ann+petitions@example.org", "ann@example.org"),
    ("ann+a+b@example.org", "ann@example.org"),
    ("a.n.n@example.org", "a.n.n@example.org"),          # dots matter outside Gmail
    ("A.N.N+x@Gmail.com", "ann@gmail.com"),
    ("ann@googlemail.com", "ann@gmail.com"),
    ("a.nn+tag@GoogleMail.com", "ann@gmail.com"),
    ("  ann@example.org ", "ann@example.org"),
    ("ann@sub.gmail.com", "ann@sub.gmail.com"),          # only the Gmail domains themselves
])
def test_canonical_email(address, canonical):
    assert canonical_email(address) == canonical


def test_same_inbox_same_hash_and_other_inbox_other_hash():
    secret = b"k"
    assert email_hash("A.nn+x@gmail.com", secret) == email_hash("ann@googlemail.com", secret)
    assert email_hash("ann@example.org", secret) != email_hash("anne@example.org", secret)


def test_key_reveals_no_address_and_depends_on_secret():
    key = signature_key("demo", "ann@example.org", b"k")
    assert key.startswith("demo#") and "ann" not in key and "example" not in key
    assert key != signature_key("demo", "ann@example.org", b"other")
