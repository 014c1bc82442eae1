"""Prometheus metrics of the HTTP server connector, in the text exposition format.

A few counters and gauges need no client library: a `Counter` keeps one
number per label set, a `Gauge` asks a function for its value when the
page is scraped (read-model lag and records come straight from the read
model that way, never stale). `Registry.render()` is what `/metrics` serves
(text format 0.0.4).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

LabelValues = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(pairs: LabelValues) -> str:
    if not pairs:
        return ""
    return "{" + ",".join(f'{name}="{_escape(value)}"' for name, value in pairs) + "}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class Counter:
    """A monotonically increasing number per label set."""

    kind = "counter"

    def __init__(self, name: str, help_text: str):
        self.name = name
        self.help = help_text
        self._values: dict[LabelValues, float] = {}
        self._lock = threading.Lock()

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        return self._values.get(tuple(sorted(labels.items())), 0.0)

    def samples(self) -> list[tuple[LabelValues, float]]:
        with self._lock:
            return sorted(self._values.items())


class Gauge:
    """A number read from `read()` at scrape time."""

    kind = "gauge"

    def __init__(self, name: str, help_text: str, read: Callable[[], float]):
        self.name = name
        self.help = help_text
        self._read = read

    def samples(self) -> list[tuple[LabelValues, float]]:
        return [((), float(self._read()))]


class Registry:
    """The metrics one server exposes."""

    def __init__(self) -> None:
        self._metrics: list[Counter | Gauge] = []

    def counter(self, name: str, help_text: str) -> Counter:
        metric = Counter(name, help_text)
        self._metrics.append(metric)
        return metric

    def gauge(self, name: str, help_text: str, read: Callable[[], float]) -> Gauge:
        metric = Gauge(name, help_text, read)
        self._metrics.append(metric)
        return metric

    def render(self) -> str:
        lines = []
        for metric in self._metrics:
            lines.append(f"# HELP {metric.name} {metric.help}")
            lines.append(f"# TYPE {metric.name} {metric.kind}")
            for labels, value in metric.samples():
                lines.append(f"{metric.name}{_labels(labels)} {_number(value)}")
        return "\n".join(lines) + "\n"


class ServerMetrics:
    """The HTTP server's metrics, by name."""

    def __init__(self, lag: Callable[[], float], records: Callable[[], float]):
        self.registry = Registry()
        self.requests = self.registry.counter(
            "flowmetal_http_requests_total", "HTTP requests served, by route and status."
        )
        self.callbacks_delivered = self.registry.counter(
            "flowmetal_callbacks_delivered_total", "Callback deliveries accepted (202)."
        )
        self.callbacks_rejected = self.registry.counter(
            "flowmetal_callbacks_rejected_total",
            "Callback deliveries refused, by reason (forged, used, too_large).",
        )
        self.messages_produced = self.registry.counter(
            "flowmetal_http_server_messages_produced_total",
            "Records produced to Kafka, by kind (start, message, cancel, response, program).",
        )
        self.registry.gauge(
            "flowmetal_readmodel_lag_records",
            "Records in state/history/callbacks the read model has not applied yet.",
            lag,
        )
        self.registry.gauge(
            "flowmetal_readmodel_records_applied",
            "Records the read model has applied since this process started.",
            records,
        )

    def render(self) -> str:
        return self.registry.render()
