"""The one parameter reader (chalicelib/aws/parameters.py): its cache, its back-off, and what it says when it fails."""
from __future__ import annotations

import logging
import types

import pytest
from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError

from chalicelib.aws import clients, parameters

NAME = "/countersign/dev/some-parameter"


def refused(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "no"}}, "GetParameter")


class Store:
    """A parameter source that answers from a script: a value, or an exception to raise."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.asked = 0

    def __call__(self, name: str, decrypt: bool) -> str:
        self.asked += 1
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer


@pytest.fixture
def clock(monkeypatch):
    """The reader's monotonic clock, moved by hand."""
    now = types.SimpleNamespace(value=1000.0)
    monkeypatch.setattr(parameters, "time", types.SimpleNamespace(monotonic=lambda: now.value))
    parameters.reset()
    yield now
    parameters.reset()


def test_a_value_is_kept_for_its_max_age_and_fetched_again_after(clock):
    store = Store("one", "two")
    assert parameters.get(NAME, source=store, max_age=60) == "one"
    clock.value += 59
    assert parameters.get(NAME, source=store, max_age=60) == "one" and store.asked == 1
    clock.value += 1
    assert parameters.get(NAME, source=store, max_age=60) == "two" and store.asked == 2


def test_without_a_max_age_a_value_is_kept_for_the_containers_life(clock):
    store = Store("s3cret", "other")
    assert parameters.get(NAME, source=store) == "s3cret"
    clock.value += 10 ** 9
    assert parameters.get(NAME, source=store) == "s3cret" and store.asked == 1


def test_the_transform_runs_once_per_fetch_and_its_result_is_kept(clock):
    seen = []

    def parse(text: str) -> list[str]:
        seen.append(text)
        return text.split(",")

    store = Store("a,b")
    assert parameters.get(NAME, source=store, transform=parse) == ["a", "b"]
    assert parameters.get(NAME, source=store, transform=parse) == ["a", "b"]
    assert seen == ["a,b"]
    assert parameters.get(NAME, source=store) == "a,b"  # another transform: an entry of its own
    assert store.asked == 2


def test_a_failure_is_remembered_for_the_back_off_then_asked_again(clock, caplog):
    caplog.set_level(logging.ERROR, logger="chalicelib")
    store = Store(refused("ThrottlingException"), "s3cret")
    with pytest.raises(parameters.Unavailable) as first:
        parameters.get(NAME, source=store)
    assert first.value.aws_error_code == "ThrottlingException" and isinstance(first.value.__cause__, ClientError)
    assert f"parameter unreadable name={NAME} error=ThrottlingException asking again in 5 s" in caplog.messages
    clock.value += parameters.FAILURE_SECONDS - 0.1
    with pytest.raises(parameters.Unavailable) as again:
        parameters.get(NAME, source=store)
    assert again.value.aws_error_code == "ThrottlingException" and store.asked == 1  # not asked again
    clock.value += 0.1
    assert parameters.get(NAME, source=store) == "s3cret" and store.asked == 2


def test_the_caller_may_set_the_back_off(clock):
    store = Store(OSError("unreadable"), "{}")
    with pytest.raises(parameters.Unavailable):
        parameters.get(NAME, source=store, retry_after=60)
    clock.value += 59
    with pytest.raises(parameters.Unavailable):
        parameters.get(NAME, source=store, retry_after=60)
    clock.value += 1
    assert parameters.get(NAME, source=store, retry_after=60) == "{}" and store.asked == 2


def test_a_stalled_parameter_store_is_named_by_the_timeout(clock):
    store = Store(ReadTimeoutError(endpoint_url="https://ssm.eu-west-2.amazonaws.com/"))
    with pytest.raises(parameters.Unavailable) as failed:
        parameters.get(NAME, source=store)
    assert failed.value.aws_error_code == "ReadTimeoutError"


def test_unavailable_is_an_aws_failure_that_the_503_handlers_already_catch(clock):
    store = Store(refused("AccessDeniedException"))
    with pytest.raises(clients.STORAGE_ERRORS) as failed:
        parameters.get(NAME, source=store)
    assert isinstance(failed.value, BotoCoreError)
    assert clients.error_code(failed.value) == "AccessDeniedException"
    assert NAME in str(failed.value)


def test_a_missing_parameter_is_a_failure_unless_the_caller_says_what_it_reads_as(clock):
    with pytest.raises(parameters.Unavailable) as failed:
        parameters.get(NAME, source=Store(refused("ParameterNotFound")))
    assert failed.value.aws_error_code == "ParameterNotFound"
    store = Store(refused("ParameterNotFound"), "a")
    assert parameters.get(NAME, source=store, transform=str.upper, missing="", max_age=60) == ""
    assert parameters.get(NAME, source=store, transform=str.upper, missing="", max_age=60) == ""
    assert store.asked == 1  # kept like a value
    clock.value += 60
    assert parameters.get(NAME, source=store, transform=str.upper, missing="", max_age=60) == "A"


def test_a_missing_file_reads_as_missing_too(clock, tmp_path):
    path = str(tmp_path / "absent.json")
    assert parameters.get(path, source=parameters.local_file, transform=str.upper, missing="none") == "none"
    (tmp_path / "present.json").write_text("yes")
    assert parameters.get(str(tmp_path / "present.json"), source=parameters.local_file) == "yes"


def test_the_last_good_value_stays_in_force_while_fetches_fail_if_the_caller_keeps_it(clock, caplog):
    caplog.set_level(logging.ERROR, logger="chalicelib")
    store = Store("good", refused("InternalServerError"), "better")

    def get():
        return parameters.get(NAME, source=store, transform=str.upper, max_age=60, retry_after=60,
                              keep_last_good=True)

    assert get() == "GOOD"
    clock.value += 60
    assert get() == "GOOD" and store.asked == 2  # asked, failed, kept
    assert any("error=InternalServerError" in m and "keeping the last good value" in m for m in caplog.messages)
    clock.value += 30
    assert get() == "GOOD" and store.asked == 2  # within the back-off: not asked
    clock.value += 30
    assert get() == "BETTER" and store.asked == 3


def test_with_no_good_value_yet_keeping_the_last_one_still_fails(clock):
    store = Store(refused("InternalServerError"))
    with pytest.raises(parameters.Unavailable):
        parameters.get(NAME, source=store, transform=str.upper, keep_last_good=True)


def test_a_value_the_transform_refuses_is_a_failure_and_the_log_does_not_quote_it(clock, caplog):
    caplog.set_level(logging.ERROR, logger="chalicelib")
    store = Store("not-a-number-s3cret", "7")
    with pytest.raises(parameters.Unavailable) as failed:
        parameters.get(NAME, source=store, transform=int)
    assert failed.value.aws_error_code == "ValueError" and isinstance(failed.value.__cause__, ValueError)
    assert f"parameter unusable name={NAME} error=ValueError asking again in 5 s" in caplog.messages
    assert "s3cret" not in caplog.text
    with pytest.raises(parameters.Unavailable):
        parameters.get(NAME, source=store, transform=int)
    assert store.asked == 1  # a bad value is not fetched again on every call
    clock.value += parameters.FAILURE_SECONDS
    assert parameters.get(NAME, source=store, transform=int) == 7


def test_reset_forgets_values_and_failures(clock):
    store = Store(refused("ParameterNotFound"), "there now")
    with pytest.raises(parameters.Unavailable):
        parameters.get(NAME, source=store)
    parameters.reset()
    assert parameters.get(NAME, source=store) == "there now"


def test_parameter_store_is_asked_with_get_parameter_decrypting_only_when_asked(tables, aws_calls):
    ssm = clients.ssm()
    ssm.put_parameter(Name="/countersign/dev/secret", Value="s3cret", Type="SecureString")
    ssm.put_parameter(Name="/countersign/dev/list", Value="a@example.org", Type="StringList")
    assert parameters.get("/countersign/dev/secret", decrypt=True) == "s3cret"
    assert parameters.get("/countersign/dev/list", max_age=60) == "a@example.org"
    asked = [(str(call), call.params) for call in aws_calls.meter.of({"GetParameter"})]
    assert asked == [("GetParameter", {"Name": "/countersign/dev/secret", "WithDecryption": True}),
                     ("GetParameter", {"Name": "/countersign/dev/list", "WithDecryption": False})]
    with pytest.raises(parameters.Unavailable) as failed:
        parameters.get("/countersign/dev/absent")
    assert failed.value.aws_error_code == "ParameterNotFound"
