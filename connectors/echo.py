"""The `echo` connector: answers every request with its own payload.

The smallest useful connector, used by the tests, the benchmark and the
counter example (`call("echo", {"n": 1})["n"]`). Run it with

    flowmetal connector run flowmetal.connectors.echo:EchoConnector

`delay` (seconds, `-o delay=0.05` on the command line) makes each answer
take that long, and `jitter` adds up to that many seconds more at random, so
that answers finish out of order: crash and benchmark tests use them.
"""

from __future__ import annotations

import asyncio
import random

from flowmetal.connectors.sdk import Connector
from flowmetal.protocol import JSON, Request


class EchoConnector(Connector):
    """kind "echo": the result is the request's payload, unchanged."""

    kind = "echo"
    default_timeout = 30.0

    def __init__(self, delay: float = 0.0, jitter: float = 0.0, kind: str = "echo") -> None:
        self.delay = float(delay)
        self.jitter = float(jitter)
        self.kind = kind

    async def handle(self, request: Request) -> JSON:
        pause = self.delay + (random.uniform(0, self.jitter) if self.jitter else 0.0)
        if pause:
            await asyncio.sleep(pause)
        return request.payload
