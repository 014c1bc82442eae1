"""The Prometheus page format and the metrics server (flowmetal/metrics.py), without Kafka."""

from __future__ import annotations

import httpx
import pytest

from flowmetal.errors import ServiceError
from flowmetal.metrics import CONTENT_TYPE, Histogram, MetricsServer, Registry, port_from_env


def test_the_page_has_help_type_and_one_line_per_sample() -> None:
    registry = Registry()
    requests = registry.counter("app_requests_total", "Requests, by route.")
    requests.inc(route="/a")
    requests.inc(2, route="/a")
    requests.inc(route='/b"\\\n')
    steps = {"n": 3}
    registry.counted("app_steps_total", "Steps.", lambda: steps["n"])
    registry.gauge("app_ratio", "A ratio.", lambda: 0.25, kind="echo")
    steps["n"] = 5  # read when the page is made, not when registered
    assert registry.render() == (
        "# HELP app_requests_total Requests, by route.\n"
        "# TYPE app_requests_total counter\n"
        'app_requests_total{route="/a"} 3\n'
        'app_requests_total{route="/b\\"\\\\\\n"} 1\n'
        "# HELP app_steps_total Steps.\n"
        "# TYPE app_steps_total counter\n"
        "app_steps_total 5\n"
        "# HELP app_ratio A ratio.\n"
        "# TYPE app_ratio gauge\n"
        'app_ratio{kind="echo"} 0.25\n'
    )


def test_the_server_serves_metrics_and_health_and_nothing_else() -> None:
    registry = Registry()
    registry.counted("app_steps_total", "Steps.", lambda: 7)
    server = MetricsServer(registry, 0, host="127.0.0.1").start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        page = httpx.get(f"{base}/metrics", timeout=10)
        assert page.status_code == 200
        assert page.headers["content-type"] == CONTENT_TYPE
        assert "app_steps_total 7\n" in page.text
        assert httpx.get(f"{base}/healthz", timeout=10).text == "ok\n"
        assert httpx.get(f"{base}/other", timeout=10).status_code == 404
    finally:
        server.close()


def test_a_port_in_use_is_a_clear_error() -> None:
    first = MetricsServer(Registry(), 0, host="127.0.0.1").start()
    try:
        with pytest.raises(ServiceError, match=f"cannot serve metrics on 127.0.0.1:{first.port}"):
            MetricsServer(Registry(), first.port, host="127.0.0.1")
    finally:
        first.close()


def test_the_port_comes_from_the_environment() -> None:
    assert port_from_env({}) is None
    assert port_from_env({"FLOWMETAL_METRICS_PORT": ""}) is None
    assert port_from_env({"FLOWMETAL_METRICS_PORT": "9400"}) == 9400
    for bad in ("nine", "70000", "-1"):
        with pytest.raises(ServiceError, match="FLOWMETAL_METRICS_PORT must be a port number"):
            port_from_env({"FLOWMETAL_METRICS_PORT": bad})


def test_a_histogram_counts_into_cumulative_buckets() -> None:
    registry = Registry()
    latency = Histogram("app_seconds", "Latency.", buckets=(0.1, 1.0), labels={"kind": "echo"})
    registry.add(latency)
    for value in (0.05, 0.1, 0.5, 3.0):  # a bound counts in its own bucket (le: <=)
        latency.observe(value)
    assert registry.render() == (
        "# HELP app_seconds Latency.\n"
        "# TYPE app_seconds histogram\n"
        'app_seconds_bucket{kind="echo",le="0.1"} 2\n'
        'app_seconds_bucket{kind="echo",le="1"} 3\n'
        'app_seconds_bucket{kind="echo",le="+Inf"} 4\n'
        'app_seconds_sum{kind="echo"} 3.65\n'
        'app_seconds_count{kind="echo"} 4\n'
    )
