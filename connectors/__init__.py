"""Connectors: processes that serve one kind of request through Kafka.

A connector reads the requests of its kind from `outbox` and answers each
with a `response` message in the calling task's `inbox`, exactly once (see
runtime.py). Public names:

    Connector, ConnectorError, RetryableError   the SDK (sdk.py)
    run_connector, ConnectorRuntime             the Kafka runtime (runtime.py, imports confluent-kafka)
    EchoConnector                               echo.py
    HttpRequestConnector                        http_request.py (kind "http")
"""

from __future__ import annotations

from flowmetal.connectors.sdk import Connector, ConnectorError, RetryableError

__all__ = ["Connector", "ConnectorError", "RetryableError"]
