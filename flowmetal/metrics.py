"""Prometheus metrics in the text exposition format, and a tiny server for them.

A few metric types need no client library: a `Counter` keeps one number
per label set; a `Sampled` metric asks a function for its value when the
page is scraped, so a process exposes the numbers it keeps anyway (the
interpreter's step count, the read model's lag) and they are never stale; a
`Histogram` counts observations (durations) into fixed buckets.
`Registry.render()` is the page (text format 0.0.4).

Every long-running process can serve its registry: the HTTP server connector
on its own `/metrics` route, the interpreter and the other connectors on
`FLOWMETAL_METRICS_PORT` through `serve()` (a stdlib HTTP server on a daemon
thread: a scrape never waits for, nor blocks, the Kafka loop).
"""

from __future__ import annotations

import bisect
import logging
import os
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from flowmetal.errors import ServiceError

log = logging.getLogger(__name__)

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

    def samples(self) -> list[tuple[str, LabelValues, float]]:
        with self._lock:
            return [(self.name, labels, value) for labels, value in sorted(self._values.items())]


class Sampled:
    """A number read from `read()` at scrape time: a gauge, or a counter kept elsewhere."""

    def __init__(
        self,
        kind: str,
        name: str,
        help_text: str,
        read: Callable[[], float],
        labels: dict[str, str] | None = None,
    ):
        self.kind = kind
        self.name = name
        self.help = help_text
        self._read = read
        self._labels: LabelValues = tuple(sorted((labels or {}).items()))

    def samples(self) -> list[tuple[str, LabelValues, float]]:
        return [(self.name, self._labels, float(self._read()))]


# Seconds, from a fast step to a slow commit; Prometheus adds +Inf.
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Histogram:
    """Observations (durations, in seconds) counted into buckets: Prometheus' histogram."""

    kind = "histogram"

    def __init__(
        self,
        name: str,
        help_text: str,
        buckets: tuple[float, ...] = DURATION_BUCKETS,
        labels: dict[str, str] | None = None,
    ):
        self.name = name
        self.help = help_text
        self.buckets = buckets
        self._labels: LabelValues = tuple(sorted((labels or {}).items()))
        self._counts = [0] * (len(buckets) + 1)  # the last one is +Inf
        self._sum = 0.0
        self._lock = threading.Lock()

    def observe(self, value: float) -> None:
        index = bisect.bisect_left(self.buckets, value)
        with self._lock:
            self._counts[index] += 1
            self._sum += value

    def samples(self) -> list[tuple[str, LabelValues, float]]:
        with self._lock:
            counts, total = list(self._counts), self._sum
        out = []
        running = 0
        for bound, count in zip((*self.buckets, float("inf")), counts, strict=True):
            running += count
            le = "+Inf" if bound == float("inf") else _number(bound)
            out.append((f"{self.name}_bucket", (*self._labels, ("le", le)), float(running)))
        out.append((f"{self.name}_sum", self._labels, total))
        out.append((f"{self.name}_count", self._labels, float(running)))
        return out


class Registry:
    """The metrics one process exposes."""

    def __init__(self) -> None:
        self._metrics: list[Counter | Sampled | Histogram] = []

    def add(self, metric: Counter | Sampled | Histogram) -> None:
        """Expose a metric made elsewhere (a loop that observes its own histograms)."""
        self._metrics.append(metric)

    def counter(self, name: str, help_text: str) -> Counter:
        metric = Counter(name, help_text)
        self._metrics.append(metric)
        return metric

    def gauge(self, name: str, help_text: str, read: Callable[[], float], **labels: str) -> Sampled:
        metric = Sampled("gauge", name, help_text, read, labels)
        self._metrics.append(metric)
        return metric

    def counted(
        self, name: str, help_text: str, read: Callable[[], float], **labels: str
    ) -> Sampled:
        """A counter whose total the process keeps itself (`read` must never go down)."""
        metric = Sampled("counter", name, help_text, read, labels)
        self._metrics.append(metric)
        return metric

    def render(self) -> str:
        lines = []
        for metric in self._metrics:
            lines.append(f"# HELP {metric.name} {metric.help}")
            lines.append(f"# TYPE {metric.name} {metric.kind}")
            for name, labels, value in metric.samples():
                lines.append(f"{name}{_labels(labels)} {_number(value)}")
        return "\n".join(lines) + "\n"


def port_from_env(env: dict[str, str] | None = None) -> int | None:
    """FLOWMETAL_METRICS_PORT, or None when it is unset or empty (no metrics server)."""
    raw = (os.environ if env is None else env).get("FLOWMETAL_METRICS_PORT", "")
    if not raw:
        return None
    try:
        port = int(raw)
    except ValueError:
        raise ServiceError(f"FLOWMETAL_METRICS_PORT must be a port number, not {raw!r}") from None
    if not 0 <= port <= 65535:
        raise ServiceError(f"FLOWMETAL_METRICS_PORT must be a port number, not {raw!r}")
    return port


class MetricsServer:
    """`GET /metrics` (and `/healthz`) for one registry, on a daemon thread."""

    def __init__(self, registry: Registry, port: int, host: str = "0.0.0.0") -> None:
        handler = _handler_for(registry)
        try:
            self._http = ThreadingHTTPServer((host, port), handler)
        except OSError as exc:
            raise ServiceError(f"cannot serve metrics on {host}:{port}: {exc}") from exc
        self._http.daemon_threads = True
        self.host = host
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(
            target=self._http.serve_forever, name="metrics", daemon=True
        )

    def start(self) -> MetricsServer:
        self._thread.start()
        log.info("metrics on http://%s:%d/metrics", self.host, self.port)
        return self

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()


def _handler_for(registry: Registry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            if self.path == "/metrics":
                body, content_type = registry.render().encode(), CONTENT_TYPE
            elif self.path == "/healthz":
                body, content_type = b"ok\n", "text/plain; charset=utf-8"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # a scrape every few seconds is not worth a log line

    return Handler
