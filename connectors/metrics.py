"""The HTTP server connector's metrics, and those of the connector runtime.

The metric types and the page format are in flowmetal/metrics.py; these are
the names. The HTTP server serves its registry on its own `/metrics`; the
runtime's is served on FLOWMETAL_METRICS_PORT by `flowmetal connector ...`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flowmetal.metrics import Registry

if TYPE_CHECKING:
    from .runtime import ConnectorRuntime


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


def runtime_metrics(runtime: ConnectorRuntime) -> Registry:
    """What a connector process reports, read from its runtime at scrape time."""
    registry = Registry()
    registry.add(runtime.request_seconds)
    kind = runtime.kind
    registry.counted(
        "flowmetal_connector_responses_total",
        "Responses committed to the inbox, by connector kind.",
        lambda: runtime.served,
        kind=kind,
    )
    registry.counted(
        "flowmetal_connector_dead_letters_total",
        "Undecodable requests sent to the dead-letter topic, by connector kind.",
        lambda: runtime.dead_letters,
        kind=kind,
    )
    registry.gauge(
        "flowmetal_connector_in_flight",
        "Requests held: being served, or done and waiting for their commit.",
        runtime.held,
        kind=kind,
    )
    return registry
