"""Interpreter processes for tests: real subprocesses, so they can be SIGKILLed.

`Interpreters(settings, tmp_path)` starts `python -m flowmetal.interpreter`
processes against the test's topics (short commit interval, short session
and transaction timeouts so that a killed member's partitions move within
seconds), each with its own state directory unless told to share one, and
with its log in a file the failure message can show.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flowmetal.config import Settings
from flowmetal.programs import push

ROOT = Path(__file__).resolve().parents[2]


def push_source(settings: Settings, source: str, name: str) -> str:
    """Store a program given as a string; return its version."""
    return push(settings, source, f"{name}.flow", name)[1]


class Interpreters:
    """The interpreter processes of one test; `close()` kills whatever is left."""

    def __init__(self, settings: Settings, tmp_path: Path, group: str | None = None) -> None:
        self.settings = settings
        self.tmp_path = tmp_path
        self.group = group or f"interp-{uuid.uuid4().hex[:8]}"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}

    def env(self, state_dir: Path) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            FLOWMETAL_BOOTSTRAP=self.settings.bootstrap,
            FLOWMETAL_TOPIC_PREFIX=self.settings.topic_prefix,
            FLOWMETAL_PARTITIONS=str(self.settings.partitions),
            FLOWMETAL_STATE_DIR=str(state_dir),
            FLOWMETAL_CALLBACK_SECRET=self.settings.callback_secret,
        )
        return env

    def start(
        self,
        name: str,
        *args: str,
        state_dir: Path | None = None,
        commit_ms: int = 30,
    ) -> subprocess.Popen[bytes]:
        state_dir = state_dir or self.tmp_path / f"state-{name}"
        log = self.tmp_path / f"{name}.log"
        command = [
            sys.executable,
            "-m",
            "flowmetal.interpreter",
            "--group",
            self.group,
            "--commit-ms",
            str(commit_ms),
            "--session-timeout-ms",
            "6000",
            "--transaction-timeout-ms",
            "8000",
            *args,
        ]
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                command, env=self.env(state_dir), stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
            )
        self.procs[name] = proc
        self.logs[name] = log
        return proc

    def log(self, name: str) -> str:
        return self.logs[name].read_text(errors="replace")

    def wait_for_log(self, name: str, text: str, timeout: float = 60) -> None:
        wait_until(lambda: text in self.log(name), timeout, f"{name} to log {text!r}", self)

    def kill(self, name: str) -> None:
        """SIGKILL: no commit, no goodbye to the group."""
        proc = self.procs[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def stop(self, name: str, timeout: float = 30) -> int:
        """SIGTERM and wait for the exit code."""
        proc = self.procs[name]
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout)

    def tails(self, lines: int = 25) -> str:
        out = []
        for name, path in self.logs.items():
            text = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {name} (exit {self.procs[name].poll()}) ---\n" + "\n".join(text))
        return "\n".join(out)

    def close(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


def wait_until(
    check: Callable[[], Any], timeout: float, what: str, procs: Interpreters | None = None
) -> Any:
    """Poll `check` until it returns something truthy; fail with `what` and the logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    logs = f"\n{procs.tails()}" if procs else ""
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{logs}")
