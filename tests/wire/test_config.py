"""Settings from the environment: defaults, overrides, and refusing nonsense."""

from __future__ import annotations

import dataclasses

import pytest

from flowmetal.config import DEV_CALLBACK_SECRET, Settings
from flowmetal.errors import ServiceError


def test_defaults():
    s = Settings.from_env({})
    assert (s.bootstrap, s.topic_prefix, s.partitions) == ("localhost:9092", "flowmetal.", 6)
    assert (s.callback_base_url, s.api_token, s.state_dir) == (
        "http://localhost:8080",
        "dev-token",
        "./.flowmetal",
    )
    assert s.callback_secret == DEV_CALLBACK_SECRET and s.uses_dev_secret
    assert s.topic("inbox") == "flowmetal.inbox"


def test_every_variable_is_read():
    s = Settings.from_env(
        {
            "FLOWMETAL_BOOTSTRAP": "k1:9092,k2:9092",
            "FLOWMETAL_TOPIC_PREFIX": "prod.",
            "FLOWMETAL_PARTITIONS": "24",
            "FLOWMETAL_CALLBACK_BASE_URL": "https://flow.example.com",
            "FLOWMETAL_CALLBACK_SECRET": "s3cret",
            "FLOWMETAL_API_TOKEN": "tok",
            "FLOWMETAL_STATE_DIR": "/var/lib/flowmetal",
        }
    )
    assert s == Settings(
        "k1:9092,k2:9092",
        "prod.",
        24,
        "https://flow.example.com",
        "s3cret",
        "tok",
        "/var/lib/flowmetal",
    )
    assert not s.uses_dev_secret
    assert s.topic("state") == "prod.state"


def test_from_env_reads_the_process_environment(monkeypatch):
    monkeypatch.setenv("FLOWMETAL_TOPIC_PREFIX", "envtest.")
    assert Settings.from_env().topic("dlq") == "envtest.dlq"


@pytest.mark.parametrize("bad", ["six", "0", "-3", ""])
def test_bad_partition_counts_are_refused(bad):
    with pytest.raises(ServiceError, match="FLOWMETAL_PARTITIONS"):
        Settings.from_env({"FLOWMETAL_PARTITIONS": bad})


def test_frozen_and_replaceable():
    s = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.partitions = 3  # type: ignore[misc]
    assert dataclasses.replace(s, topic_prefix="x.").topic("programs") == "x.programs"
