"""Blocklist matching: domain globs, CIDR ranges (IPv4 and IPv6), and the allowlist that wins."""
import json

import pytest

from chalicelib.aws import parameters
from chalicelib.fraud import blocklists
from chalicelib.fraud.blocklists import BadList, parse

LISTS = parse({
    "blocked_domains": ["spam.example", "*.one.example", "**.any.example"],
    "blocked_networks": ["203.0.113.0/24", "2001:db8:bad::/48", "198.51.100.9"],
    "allowed_domains": ["good.one.example"],
    "allowed_networks": ["203.0.113.7/32", "2001:db8:bad:1::/64"],
})


@pytest.mark.parametrize("domain, blocked", [
    ("spam.example", True),
    ("SPAM.Example.", True),           # case and a trailing dot do not escape it
    ("x.spam.example", False),         # an exact entry is that domain only
    ("notspam.example", False),
    ("a.one.example", True),           # *. is one label
    ("a.b.one.example", False),
    ("one.example", False),            # and not the domain itself
    ("a.any.example", True),           # **. is any depth
    ("a.b.c.any.example", True),
    ("any.example", False),
    ("xany.example", False),           # a suffix match must end on a label boundary
    ("good.one.example", False),       # the allowlist wins
])
def test_domain_patterns(domain, blocked):
    assert LISTS.verdict(domain, None) is blocked


@pytest.mark.parametrize("address, blocked", [
    ("203.0.113.1", True),
    ("203.0.113.255", True),
    ("203.0.114.1", False),
    ("198.51.100.9", True),            # a bare address is its own range
    ("198.51.100.10", False),
    ("::ffff:203.0.113.5", True),      # an IPv4-mapped IPv6 address is its IPv4 address
    ("2001:db8:bad:2::1", True),
    ("2001:db8:bad:ffff:ffff::1", True),
    ("2001:db8:bae::1", False),
    ("203.0.113.7", False),            # allowed address inside a blocked range
    ("2001:db8:bad:1::abcd", False),   # allowed IPv6 /64 inside a blocked /48
    ("not an address", False),
])
def test_networks(address, blocked):
    assert LISTS.verdict("example.org", address) is blocked


def test_allowed_network_wins_over_a_blocked_domain_and_allowed_domain_over_a_blocked_network():
    assert LISTS.verdict("spam.example", "203.0.113.7") is False
    assert LISTS.verdict("good.one.example", "203.0.113.1") is False


def test_empty_lists_block_nothing():
    assert blocklists.EMPTY.verdict("spam.example", "203.0.113.1") is False
    assert parse("") == blocklists.EMPTY


@pytest.mark.parametrize("document, named", [
    ({"blocked_domains": ["exa mple.org"]}, "exa mple.org"),
    ({"blocked_domains": ["*."]}, "*."),
    ({"blocked_networks": ["300.1.1.1"]}, "300.1.1.1"),
    ({"blocked_networks": "203.0.113.0/24"}, "list of strings"),
    ({"blocked": []}, "unknown keys"),
    ("[1, 2]", "JSON object"),
    ("{", "not JSON"),
])
def test_a_bad_document_names_its_bad_entry(document, named):
    with pytest.raises(BadList, match=named.replace("*", r"\*").replace(".", r"\.")):
        parse(document if isinstance(document, str) else json.dumps(document))


def test_the_file_is_reread_after_its_cache_period(tmp_path, monkeypatch):
    from chalicelib.aws import config

    path = tmp_path / "blocklists.json"
    path.write_text(json.dumps({"blocked_domains": ["spam.example"]}))
    monkeypatch.setenv("BLOCKLIST_FILE", str(path))
    monkeypatch.setenv("BLOCKLIST_CACHE_SECONDS", "0")
    config.reset()
    parameters.reset()
    try:
        assert blocklists.current().verdict("spam.example", None)
        path.write_text("{not json")  # a broken edit keeps the last good lists
        assert blocklists.current().verdict("spam.example", None)
        path.write_text(json.dumps({"blocked_domains": ["other.example"]}))
        assert not blocklists.current().verdict("spam.example", None)
        assert blocklists.current().verdict("other.example", None)
    finally:
        monkeypatch.delenv("BLOCKLIST_FILE")
        config.reset()
        parameters.reset()


def test_the_parameter_is_read_once_per_period_and_a_bad_or_missing_one_is_handled(tables, aws_calls, monkeypatch):
    from chalicelib.aws import clients, config

    name = "/countersign/dev/blocklists"
    monkeypatch.setenv("BLOCKLIST_PARAMETER", name)
    monkeypatch.setenv("BLOCKLIST_CACHE_SECONDS", "60")
    config.reset()
    try:
        assert blocklists.current() == blocklists.EMPTY  # a stage that never made one has no lists
        clients.ssm().put_parameter(Name=name, Type="String", Value=json.dumps({"blocked_domains": ["spam.example"]}))
        assert blocklists.current() == blocklists.EMPTY and aws_calls.calls.count("GetParameter") == 1  # kept
        parameters.reset()
        assert blocklists.current().verdict("spam.example", None)
        clients.ssm().put_parameter(Name=name, Type="String", Value="{not json", Overwrite=True)
        parameters.reset()
        assert blocklists.current() == blocklists.EMPTY  # refused on a cold start: none
        assert blocklists.current() == blocklists.EMPTY and aws_calls.calls.count("GetParameter") == 3  # not again
    finally:
        monkeypatch.delenv("BLOCKLIST_PARAMETER")
        config.reset()
        parameters.reset()
