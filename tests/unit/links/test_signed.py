"""Signed links: one mechanism, each purpose's format kept, so links already in inboxes still work."""
from __future__ import annotations

import pytest

from chalicelib.admin import signin
from chalicelib.links.signed import MAX_TOKEN_CHARS, LinkCheck, LinkState, SignedLink
from chalicelib.rights import erasure
from chalicelib.verification import tokens, updates

SIGNER_SECRET = b"test-token-secret"
ADMIN_SECRET = b"test-secret"
T0 = 1_800_000_000
DAY = 86400

# Made at T0 by the code each purpose had before it used SignedLink: any change to a purpose's salt, digest,
# secret or payload shape changes its token, and every such link already mailed would stop working.
MAILED_BEFORE = [
    (tokens.LINK, SIGNER_SECRET, "demo#abc", "ImRlbW8jYWJjIg.a0nSAA.JZlWjE3cfKNDGy626EmGyxqYfmlZFltFqFn5PlycQDM"),
    (updates.LINK, SIGNER_SECRET, ["demo#abc", "2026-01-01T00:00:00Z"],
     "WyJkZW1vI2FiYyIsIjIwMjYtMDEtMDFUMDA6MDA6MDBaIl0.a0nSAA.If0xqu73jEgEdcTpRMaicjTqBPnAmV9Qi2V3ri3opPs"),
    (erasure.LINK, SIGNER_SECRET, "demo#abc", "ImRlbW8jYWJjIg.a0nSAA.uzn8tDFU6aVxGpfMVMqnLX5OI5hXpPs4-SiJLDEYYjg"),
    (signin.LINK, ADMIN_SECRET, {"n": "nonce"}, "eyJuIjoibm9uY2UifQ.a0nSAA.tjbJbGa7w-TjSWuF_MTfLayy3Zg"),
]


@pytest.mark.parametrize("link, secret, payload, token", MAILED_BEFORE, ids=["confirm", "updates", "erase", "admin"])
def test_each_purpose_makes_and_reads_the_tokens_it_mailed_before(link, secret, payload, token):
    assert link.make(payload, now=T0, key=secret) == token
    assert link.read(token, now=T0 + 60, key=secret) == LinkCheck(LinkState.VALID, payload, T0)


def test_no_purpose_reads_another_purposes_token():
    for link, secret, _, own in MAILED_BEFORE:
        others = [token for *_, token in MAILED_BEFORE if token != own]
        assert [link.read(token, now=T0 + 60, key=secret).state for token in others] == [LinkState.INVALID] * 3


def test_an_expired_token_is_still_known_to_be_ours():
    link = SignedLink("test-salt", max_age=DAY, secret=lambda: SIGNER_SECRET)
    token = link.make(["a", 1], now=T0)
    assert link.read(token, now=T0 + DAY).state == LinkState.VALID
    assert link.read(token, now=T0 + DAY + 1) == LinkCheck(LinkState.EXPIRED, ["a", 1], T0)
    assert link.read(token, now=T0 - 10).state == LinkState.EXPIRED  # stamped in the future: not trusted


def test_the_lifetime_and_the_secret_are_read_at_each_use():
    lifetime, secret = [DAY], [b"first"]
    link = SignedLink("test-salt", max_age=lambda: lifetime[0], secret=lambda: secret[0])
    token = link.make("x", now=T0)
    lifetime[0] = 2 * DAY
    assert link.read(token, now=T0 + DAY + 1).state == LinkState.VALID
    secret[0] = b"second"
    assert link.read(token, now=T0 + 60).state == LinkState.INVALID


@pytest.mark.parametrize("bad", ["", "x" * (MAX_TOKEN_CHARS + 1), "not a token", "a.b.c"])
def test_anything_else_is_invalid_and_nothing_raises(bad):
    link = SignedLink("test-salt", max_age=DAY, secret=lambda: SIGNER_SECRET)
    assert link.read(bad, now=T0) == LinkCheck(LinkState.INVALID)
