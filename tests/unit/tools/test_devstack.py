"""make run's bookkeeping, without starting anything: one instance per data folder, a stable dev secret."""
from __future__ import annotations

import os

import pytest

from tools import dev_state, devstack


def test_a_second_instance_is_refused_with_the_first_ones_pid(tmp_path):
    lock = dev_state.hold_lock(tmp_path, 8000)
    try:
        with pytest.raises(dev_state.AlreadyRunning) as refused:
            dev_state.hold_lock(tmp_path, 8001)
        assert str(refused.value).startswith(f"Countersign is already running (pid {os.getpid()}) "
                                             "at http://localhost:8000/")
        assert dev_state.clean_data(tmp_path) == 1 and tmp_path.exists()  # no wiping under a running stack
    finally:
        lock.close()
    dev_state.hold_lock(tmp_path, 8000).close()  # released with its holder


def test_clean_data_removes_the_data_folder(tmp_path):
    state = tmp_path / ".local"
    (state / "dynamodb").mkdir(parents=True)
    assert dev_state.clean_data(state) == 0
    assert not state.exists()


def test_the_dev_secret_is_made_once_and_kept(tmp_path):
    first = devstack.signature_secret(tmp_path)
    assert len(first) == 64 and devstack.signature_secret(tmp_path) == first
    assert (tmp_path / "signature-key-secret").stat().st_mode & 0o077 == 0


def test_children_get_local_settings_and_no_real_credentials(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("SIGNATURE_KEY_PARAMETER", "/countersign/prod/signature-key-secret")
    stack = devstack.DevStack(tmp_path, endpoint="http://127.0.0.1:9", port=8123)
    env = stack.env
    assert "AWS_PROFILE" not in env and "SIGNATURE_KEY_PARAMETER" not in env
    assert env["DYNAMODB_ENDPOINT"] == "http://127.0.0.1:9"
    assert env["SIGNATURES_TABLE"] == "countersign-local-signatures"
    assert env["SIGNATURE_KEY_SECRET"] == devstack.signature_secret(tmp_path)
    assert stack.base_url == "http://127.0.0.1:8123"


def test_children_lose_every_endpoint_override(tmp_path, monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SSM"):
        monkeypatch.setenv(name, "https://somewhere.example")
    env = devstack.DevStack(tmp_path, endpoint="http://127.0.0.1:9").env
    assert not [name for name in env if name.startswith("AWS_ENDPOINT_URL")]
    assert env["AWS_ACCESS_KEY_ID"] == "local" and env["AWS_ACCOUNT_ID_ENDPOINT_MODE"] == "disabled"
