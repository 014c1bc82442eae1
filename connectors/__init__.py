"""Connectors: processes that serve one kind of request through Kafka.

A connector reads the requests of its kind from `outbox` and answers each
with a `response` message in the calling task's `inbox`, exactly once (see
runtime.py). Public names:

    Connector, ConnectorError, RetryableError     here (the SDK, sdk.py)
    runtime.run_connector, runtime.ConnectorRuntime   the Kafka runtime (imports confluent-kafka)
    echo.EchoConnector                             kind "echo"
    http_request.HttpRequestConnector              kind "http", with policy.DestinationPolicy
    http_server                                    the HTTP server connector (callbacks, task API)
"""

from __future__ import annotations

from flowmetal.connectors.sdk import Connector, ConnectorError, RetryableError

__all__ = ["Connector", "ConnectorError", "RetryableError"]
