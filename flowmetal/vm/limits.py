"""The limits a host sets on each task (fuel per step, depth, sizes)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    fuel: int = 100_000  # instructions per step before the task yields
    max_depth: int = 200  # Flowmetal frames; past it, RecursionError in the program
    max_collection: int = 1_000_000  # elements of a collection, characters of a string
    max_snapshot: int = 16 * 1024 * 1024  # bytes of an encoded task state
