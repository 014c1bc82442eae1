"""Settings shared by every Flowmetal process that talks to Kafka.

One frozen dataclass, read from the environment once (`Settings.from_env()`)
and passed down explicitly, so that nothing deep in the service reads
`os.environ` on its own. Tests derive variants with `dataclasses.replace`
(a fresh topic prefix per test, another state directory, ...).

    FLOWMETAL_BOOTSTRAP          Kafka bootstrap servers        localhost:9092
    FLOWMETAL_TOPIC_PREFIX       prefix of every topic name     flowmetal.
    FLOWMETAL_PARTITIONS         partitions of inbox/outbox/state/history   6
    FLOWMETAL_CALLBACK_BASE_URL  public base URL of the HTTP server connector
    FLOWMETAL_CALLBACK_SECRET    key that signs callback URLs   (development value)
    FLOWMETAL_API_TOKEN          bearer token of the HTTP API   dev-token
    FLOWMETAL_STATE_DIR          where the RocksDB caches live  ./.flowmetal
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from flowmetal.errors import ServiceError

# WARNING: a development default only. Anyone who knows it can forge callback
# URLs; every production deployment MUST set FLOWMETAL_CALLBACK_SECRET.
DEV_CALLBACK_SECRET = "flowmetal-dev-callback-secret-change-me"
DEV_API_TOKEN = "dev-token"

# The topics of one deployment, without the prefix (see DESIGN.md "Topics").
PROGRAMS = "programs"
INBOX = "inbox"
OUTBOX = "outbox"
STATE = "state"
HISTORY = "history"
DLQ = "dlq"


@dataclass(frozen=True)
class Settings:
    """Where Kafka is, how topics are named, and the service's secrets and paths."""

    bootstrap: str = "localhost:9092"
    topic_prefix: str = "flowmetal."
    partitions: int = 6
    callback_base_url: str = "http://localhost:8080"
    callback_secret: str = DEV_CALLBACK_SECRET
    api_token: str = DEV_API_TOKEN
    state_dir: str = "./.flowmetal"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the FLOWMETAL_* variables (from `env`, or the process environment)."""
        env = os.environ if env is None else env
        defaults = cls()
        raw_partitions = env.get("FLOWMETAL_PARTITIONS", str(defaults.partitions))
        try:
            partitions = int(raw_partitions)
        except ValueError:
            raise ServiceError(
                f"FLOWMETAL_PARTITIONS must be a whole number, not {raw_partitions!r}"
            ) from None
        if partitions < 1:
            raise ServiceError(f"FLOWMETAL_PARTITIONS must be at least 1, not {partitions}")
        return cls(
            bootstrap=env.get("FLOWMETAL_BOOTSTRAP", defaults.bootstrap),
            topic_prefix=env.get("FLOWMETAL_TOPIC_PREFIX", defaults.topic_prefix),
            partitions=partitions,
            callback_base_url=env.get("FLOWMETAL_CALLBACK_BASE_URL", defaults.callback_base_url),
            callback_secret=env.get("FLOWMETAL_CALLBACK_SECRET", defaults.callback_secret),
            api_token=env.get("FLOWMETAL_API_TOKEN", defaults.api_token),
            state_dir=env.get("FLOWMETAL_STATE_DIR", defaults.state_dir),
        )

    def topic(self, name: str) -> str:
        """The full topic name: `settings.topic("inbox")` → "flowmetal.inbox"."""
        return self.topic_prefix + name

    @property
    def uses_dev_secret(self) -> bool:
        """True when the callback secret is the public development default."""
        return self.callback_secret == DEV_CALLBACK_SECRET
