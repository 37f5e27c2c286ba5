"""The verification mailer on moto's stream: one mail per request, whatever the stream redelivers."""
from __future__ import annotations

import email
import logging
from email import policy

import pytest

from chalicelib.aws import config, models
from chalicelib.aws.models import PetitionStatus, SignatureStatus
from chalicelib.petitions import catalog
from chalicelib.tally import stream_tally, totals
from chalicelib.verification import mailer, tokens
from tests.support.mailer import GOOD, deliver, run_mailer, sign
from tests.support.streams import event, record
from tools import petition_admin
from tools.delivery_rules import passes_filters
from tools.stream_settings import MAILER, filter_patterns, stream_settings


@pytest.fixture
def verified(petition, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://petitions.example.org/api")
    monkeypatch.setenv("MAIL_FROM", "Countersign <petitions@example.org>")
    config.reset()
    petition_admin.update("demo", require_verification=True)
    catalog.reset()
    return "demo"








def stored(key=None) -> models.Signature:
    [signature] = list(models.Signature.scan()) if key is None else [models.Signature.get(key)]
    return signature


def test_a_new_pending_signature_gets_one_mail_with_a_working_link(client, verified, outbox):
    sign(client)
    shard, records = deliver()
    assert run_mailer(records) == {"batchItemFailures": []}
    [sent] = outbox.sent
    assert sent["To"] == "amina@example.org"
    assert sent["Subject"] == "Confirm your signature: Protect people seeking asylum"
    parsed = email.message_from_bytes(sent.as_bytes(), policy=policy.default)
    text = parsed.get_body(("plain",)).get_content()
    token = text.split("/petitions/demo/confirm?token=", 1)[1].split()[0]
    assert tokens.read(token, "demo").signature_key == stored().signature_key
    assert (stored().mail_requested, stored().mail_sent) == (1, 1)


def test_redelivered_records_and_the_claims_own_records_send_nothing_more(client, verified, outbox):
    sign(client)
    _, records = deliver()
    run_mailer(records)
    run_mailer(records)                  # the same batch again
    _, records = deliver()               # now with the claim's MODIFY too
    assert len(records) == 2
    run_mailer(records)
    run_mailer(list(reversed(records)))  # out of order
    assert len(outbox.sent) == 1


def test_the_tally_counts_nothing_for_pending_inserts_claims_and_resends(client, verified, outbox):
    sign(client)
    run_mailer(deliver()[1])
    sign(client)                         # a resend
    run_mailer(deliver()[1])
    shard, records = deliver()
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "MODIFY", "MODIFY"]
    assert stream_tally.handle(event(records, shard)) == {"batchItemFailures": [], "state": {}}
    assert totals.read("demo")["total"] == 0
    assert len(outbox.sent) == 2


def test_signing_again_while_pending_sends_the_link_again_capped(client, verified, outbox):
    sign(client)
    for _ in range(6):
        sign(client, {**GOOD, "email": "AMINA@example.org"})
        run_mailer(deliver()[1])
    assert len(outbox.sent) == 4         # the first and three resends in 24 hours
    assert (stored().mail_requested, stored().mail_sent) == (4, 4)
    assert {m["To"] for m in outbox.sent} == {"amina@example.org"}  # the stored address, not the repeat's spelling


def test_a_failed_send_gives_the_claim_back_and_is_retried(client, verified, outbox):
    sign(client, {**GOOD, "email": "first@example.org"})
    sign(client, {**GOOD, "email": "second@example.org"})
    _, records = deliver()
    run_mailer(records[:1])
    outbox.failing = True
    reply = run_mailer(records)          # the first is already claimed; the second fails
    assert reply == {"batchItemFailures": [{"itemIdentifier": records[1]["dynamodb"]["SequenceNumber"]}]}
    second = [s for s in models.Signature.scan() if s.email == "second@example.org"][0]
    assert second.mail_sent == 0         # the claim was given back
    outbox.failing = False
    assert run_mailer(records[1:]) == {"batchItemFailures": []}
    assert sorted(m["To"] for m in outbox.sent) == ["first@example.org", "second@example.org"]


def test_a_batch_stops_at_the_first_failure(client, verified, outbox):
    for i in range(3):
        sign(client, {**GOOD, "email": f"s{i}@example.org"})
    _, records = deliver()
    outbox.failing = True
    reply = run_mailer(records)
    assert reply["batchItemFailures"] == [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]
    assert all(s.mail_sent == 0 for s in models.Signature.scan())


def test_without_a_sender_address_nothing_is_claimed_and_the_record_is_retried(client, verified, outbox,
                                                                               monkeypatch):
    sign(client)
    monkeypatch.delenv("MAIL_FROM")
    config.reset()
    _, records = deliver()
    assert run_mailer(records)["batchItemFailures"] == [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]
    assert stored().mail_sent == 0 and outbox.sent == []


def test_confirmed_signatures_of_ordinary_petitions_get_no_mail(client, petition, outbox, aws_calls):
    sign(client)
    _, records = deliver()
    aws_calls.calls.clear()
    assert run_mailer(records) == {"batchItemFailures": []}
    assert outbox.sent == [] and aws_calls.calls == []


def test_no_mail_for_a_closed_petition(client, verified, outbox):
    sign(client)
    petition_admin.update("demo", status=PetitionStatus.CLOSED)
    catalog.reset()
    run_mailer(deliver()[1])
    assert outbox.sent == [] and stored().mail_sent == 0


def test_the_claim_fails_once_the_signature_is_confirmed(client, verified, outbox):
    sign(client)
    models.Signature(signature_key=stored().signature_key).update(
        actions=[models.Signature.status.set(SignatureStatus.CONFIRMED)])
    _, records = deliver()
    run_mailer(records[:1])              # the INSERT, delivered late
    assert outbox.sent == []


def test_removals_and_unreadable_records(tables, verified, outbox):
    pending = {"signature_key": {"S": "demo#k"}, "petition_id": {"S": "demo"}, "status": {"S": "pending"},
               "mail_requested": {"N": "1"}, "mail_sent": {"N": "0"}, "name": {"S": "A"}, "email": {"S": "a@x.org"}}
    ttl_removal = record(10, pending, None, key="demo#k")
    assert mailer.wanted(ttl_removal) is None
    broken = record(11, None, {**pending, "mail_requested": {"S": "one"}}, key="demo#k")
    with pytest.raises(mailer.UnreadableRecord):
        mailer.wanted(broken)
    reply = run_mailer([ttl_removal, broken])
    assert reply == {"batchItemFailures": [{"itemIdentifier": "11"}]}


def test_no_personal_data_in_the_mailers_logs(client, verified, outbox, caplog):
    caplog.set_level(logging.DEBUG, logger="chalicelib")
    sign(client)
    run_mailer(deliver()[1])
    outbox.failing = True
    sign(client, {**GOOD, "email": "second@example.org", "name": "Bea Second"})
    run_mailer(deliver()[1])
    text = caplog.text.lower()
    assert "verification mail sent" in text and "mail failed" in text
    # (Whole names: a short one like "bea" can turn up inside a random hex tag.)
    for secret in ("amina", "yusuf", "example.org", "bea second", "second@"):
        assert secret not in text


# ---- the mapping: a filter, and the local runner reading it ---------------------------

def test_the_mailers_mapping_delivers_pending_signatures_and_new_opt_ins_only():
    patterns = filter_patterns(MAILER)
    assert patterns[0] == {"dynamodb": {"NewImage": {"status": {"S": ["pending"]}}}}
    pending = {"dynamodb": {"NewImage": {"status": {"S": "pending"}}}}
    confirmed = {"dynamodb": {"NewImage": {"status": {"S": "confirmed"}}}}
    removed = {"dynamodb": {"OldImage": {"status": {"S": "pending"}}}}
    opted = {"status": {"S": "confirmed"}, "updates_opt_in": {"BOOL": True}}
    opt_in = {"eventName": "INSERT", "dynamodb": {"NewImage": opted}}
    opt_in_changed = {"eventName": "MODIFY", "dynamodb": {"NewImage": opted, "OldImage": opted}}
    assert passes_filters(pending, patterns) and passes_filters(opt_in, patterns)
    assert not passes_filters(confirmed, patterns) and not passes_filters(removed, patterns)
    assert not passes_filters(opt_in_changed, patterns)
    assert passes_filters(confirmed, [])   # no filter: everything


def test_unsupported_filter_operators_are_refused_not_guessed():
    with pytest.raises(NotImplementedError):
        passes_filters({"a": "b"}, [{"a": [{"prefix": "b"}]}])


def test_the_local_runner_drives_the_mailer_with_its_own_settings_and_files(tmp_path, tables):
    from tools.stream_runner import build_runner

    runner = build_runner(tmp_path, handler=lambda e, c: None, consumer="mailer")
    assert runner.settings == stream_settings(MAILER) and "TumblingWindowInSeconds" not in runner.settings
    assert runner.filters == filter_patterns(MAILER)
    assert runner.checkpoints.path.name == "mail-stream-checkpoints.json"
    assert runner.failures.path.name == "mail-stream-failures.jsonl"
    tally = build_runner(tmp_path, handler=lambda e, c: None)
    assert tally.checkpoints.path.name == "stream-checkpoints.json" and tally.filters == []


def test_the_local_runner_hands_the_mailer_only_records_its_filter_lets_through(tmp_path, monkeypatch):
    from tests.support.fake_streams import ARN, FakeStreams, FakeTable, raw_record
    from tools import stream_runner as sr
    from tools.runner_state import Checkpoints, FailureLog

    monkeypatch.setattr(sr, "POLL_SECONDS", 0)
    records = [raw_record(i) for i in range(1, 6)]
    for i in (2, 4):
        records[i - 1]["dynamodb"]["NewImage"]["status"] = {"S": "pending"}
    seen: list[list[int]] = []

    def handler(lambda_event, context):
        assert context.function_name == "send_verification_mail" and "shardId" not in lambda_event
        seen.append([int(r["dynamodb"]["SequenceNumber"]) for r in lambda_event["Records"]])
        return {"batchItemFailures": []}

    settings = {**stream_settings(MAILER), "MaximumBatchingWindowInSeconds": 0}
    runner = sr.StreamRunner("sigs", FakeTable(), FakeStreams({"s": {"records": records, "closed": True}}), handler,
                             Checkpoints(tmp_path / "c.json"), FailureLog(tmp_path / "f.jsonl"), settings,
                             filters=filter_patterns(MAILER), function_name="send_verification_mail")
    for _ in range(50):
        runner.tick()
    assert [n for batch in seen for n in batch] == [2, 4]
    assert Checkpoints(tmp_path / "c.json").finished(ARN) == {"s"}
