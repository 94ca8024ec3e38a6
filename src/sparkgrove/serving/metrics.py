"""The server's Prometheus metrics: requests, latency and rows, per route, model and version.

Each app has its own collector registry (no process-wide state), exposed at ``GET /metrics`` in
Prometheus's text format. With ``--workers N`` every worker process counts its own requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
"""Seconds; fine below 10 ms, where single-row predictions fall."""
CONTENT_TYPE = CONTENT_TYPE_LATEST


@dataclass
class ServerMetrics:
    """Counters and histograms of one app."""

    registry: CollectorRegistry = field(default_factory=lambda: CollectorRegistry(auto_describe=True))

    def __post_init__(self) -> None:
        labels = ["route", "model", "version", "status"]
        self.requests = Counter("sparkgrove_requests", "Requests answered.", labels,
                                registry=self.registry)
        self.errors = Counter("sparkgrove_request_errors", "Requests answered with a 4xx or "
                              "5xx status.", labels, registry=self.registry)
        self.latency = Histogram("sparkgrove_request_duration_seconds", "Time to answer a "
                                 "request, from its first byte read to its answer.",
                                 ["route", "model", "version"], buckets=LATENCY_BUCKETS,
                                 registry=self.registry)
        self.rows = Counter("sparkgrove_predicted_rows", "Rows predicted.", ["model", "version"],
                            registry=self.registry)

    def observe(self, route: str, model: str, version: str, status: int, seconds: float,
                rows: int = 0) -> None:
        """Count one answered request."""
        self.requests.labels(route, model, version, str(status)).inc()
        if status >= 400:
            self.errors.labels(route, model, version, str(status)).inc()
        self.latency.labels(route, model, version).observe(seconds)
        if rows:
            self.rows.labels(model, version).inc(rows)

    def text(self) -> bytes:
        """The exposition text."""
        return generate_latest(self.registry)
