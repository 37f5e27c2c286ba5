"""Retention and access requests: anonymising keeps every count and drops every personal attribute."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib.aws import clock, config
from chalicelib.aws.models import Petition
from chalicelib.identity import canonical_email
from chalicelib.petitions import catalog
from chalicelib.rights import access, retention
from tests.support.moto_stack import sign, tally, totals
from tools import petition_admin, reconcile, signer_rights

PERSONAL = {"name", "email", "postcode", "ip_hash", "updates_opt_in", "source", "erase_link_at", "mail_requested",
            "mail_sent", "resent_at"}


@pytest.fixture(autouse=True)
def one_writer(monkeypatch):
    """moto is not thread-safe (a dict changes size under another thread's iteration); DynamoDB is."""
    monkeypatch.setattr(retention, "WRITERS", 1)


@pytest.fixture
def signed(client, petition, tables):
    sign(client, "Amina Yusuf", "amina@example.org", "GB", postcode="SW1A 1AA", updates_opt_in=True, source="mail")
    sign(client, "Li Wei", "li@example.org", "GB")
    sign(client, "Jean Dupont", "jean@example.org", "FR")
    # an attribute another feature may add (an IP hash): anything not kept goes
    tables.update_item(TableName=config.settings().signatures_table,
                       Key={"signature_key": {"S": key("li@example.org")}},
                       UpdateExpression="SET ip_hash = :h", ExpressionAttributeValues={":h": {"S": "abc123"}})
    tally()
    return client


def key(email: str, petition: str = "demo") -> str:
    return canonical_email.signature_key(petition, email, canonical_email.hash_secret())


def items(tables) -> list[dict]:
    return tables.scan(TableName=config.settings().signatures_table)["Items"]


def close(petition_id: str = "demo", days_ago: int = 0) -> None:
    petition_admin.update(petition_id, status="closed")
    if days_ago:
        stored = Petition.get(petition_id)
        stored.closed_at = clock.utc_now() - timedelta(days=days_ago)
        stored.save()
    catalog.reset()


def test_signer_data_lists_every_signature_for_the_address_with_each_fields_purpose(signed, capsys):
    petition_admin.create("other", "Another", "Another one.", 10)
    sign(signed, "Amina Yusuf", "Amina+x@example.org", "GB", petition="other")
    assert signer_rights.main(["data", "AMINA@example.org"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert sorted(s["petition_id"] for s in report["signatures"]) == ["demo", "other"]
    demo = next(s for s in report["signatures"] if s["petition_id"] == "demo")
    assert demo["fields"]["name"]["value"] == "Amina Yusuf"
    assert demo["fields"]["postcode"]["value"] == "SW1A 1AA"
    assert all(field["purpose"] for field in demo["fields"].values())
    assert "signature_key" not in demo["fields"]
    assert access.signer_data("nobody@example.org")["signatures"] == []


def test_an_open_petition_is_never_anonymised(signed):
    result = retention.anonymise_petition("demo", force=True)
    assert not result.done and "not closed" in result.reason


def test_a_petition_is_due_only_after_its_retention_period(signed):
    close(days_ago=10)
    petition = Petition.get("demo")
    now = clock.utc_now()
    assert not retention.due(petition, now)  # the default 90 days
    assert retention.run_due() == []
    retention.set_period("demo", 7)
    assert retention.due(Petition.get("demo"), now)


def test_anonymising_keeps_counts_and_totals_and_leaves_nothing_personal(signed, tables):
    before_totals = totals(signed)
    close()
    assert signer_rights.main(["anonymise", "demo", "--now"]) == 0
    tally()
    after = items(tables)
    assert len(after) == 3
    assert totals(signed)["by_country"] == before_totals["by_country"] == {"GB": 2, "FR": 1}
    for item in after:
        assert not PERSONAL & set(item), item
        assert retention.is_anonymous(item["signature_key"]["S"])
        assert set(item) <= {*retention.KEPT, "signature_key", "anonymised_at"}
    assert sorted(i["country"]["S"] for i in after) == ["FR", "GB", "GB"]
    assert reconcile.check(segments=2, quiet_seconds=0) == []
    # nothing links a signature to its signer any more
    assert access.signer_data("amina@example.org")["signatures"] == []
    assert signer_rights.main(["erase", "demo", "amina@example.org"]) == 1
    assert Petition.get("demo").anonymised_at is not None


def test_the_scheduled_run_anonymises_due_petitions_once(signed, tables):
    close(days_ago=91)
    (result,) = retention.run_due()
    assert (result.anonymised, result.done) == (3, True)
    assert retention.run_due() == []  # done: skipped from now on
    tally()
    assert totals(signed)["total"] == 3


def test_pending_signatures_of_a_closed_petition_are_deleted_and_counted_nothing(client, petition, tables):
    petition_admin.update("demo", require_verification=True)
    catalog.reset()
    sign(client, "Pending Person", "pending@example.org", "GB")
    tally()
    close()
    result = retention.anonymise_petition("demo", force=True)
    assert (result.anonymised, result.deleted) == (0, 1)
    tally()
    assert items(tables) == [] and totals(client)["total"] == 0


def test_dedupe_of_other_petitions_is_untouched(signed, tables):
    petition_admin.create("other", "Another", "Another one.", 10)
    sign(signed, "Li Wei", "li@example.org", "GB", petition="other")
    close()
    retention.anonymise_petition("demo", force=True)
    again = signed.post("/petitions/other/signatures", headers={"Content-Type": "application/json"},
                        body=json.dumps({"name": "Li Wei", "email": "li@example.org", "country": "GB",
                                         "consent": True}))
    assert again.status_code == 202  # a duplicate answers as before, and stores nothing new
    tally()
    assert totals(signed, "other")["total"] == 1
    assert [k for k in (i["signature_key"]["S"] for i in items(tables)) if k.startswith("other#")] == \
        [key("li@example.org", "other")]


def test_the_re_key_nets_to_zero_even_when_the_stream_splits_it(signed, tables):
    """The REMOVE and the INSERT of one re-key may reach the tally in different batches: the end is exact."""
    from chalicelib.tally import stream_tally
    from tests.support.streams import event, read_moto_stream

    close()
    retention.anonymise_petition("demo", force=True)
    [(shard, records)] = read_moto_stream()
    for record in records:  # one record per batch
        stream_tally.handle(event([record], shard))
    assert totals(signed)["by_country"] == {"GB": 2, "FR": 1}
