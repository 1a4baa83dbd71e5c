"""Prometheus metrics for one app: request counts and latencies by route template, index size.

Each app owns its registry (nothing at module level), so tests can build several apps.
With ``--workers N`` every worker counts its own requests (no multiprocess aggregation).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from index.search import BriefingIndex

LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class ApiMetrics:
    """The app's collectors; ``observe`` is called once per request by the request middleware."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("briefqa_http_requests", "HTTP requests by route template and status",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("briefqa_http_request_duration_seconds", "Request latency by route template",
                                 ["method", "route"], buckets=LATENCY_BUCKETS_S, registry=self.registry)
        self.documents = Gauge("briefqa_index_documents", "Documents in the live index", registry=self.registry)
        self.chunks = Gauge("briefqa_index_chunks", "Chunks (passages) in the live index", registry=self.registry)
        self.facts = Gauge("briefqa_index_facts", "Extracted facts in the live index", registry=self.registry)
        self._facts_version: str | None = None

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def set_index(self, index: BriefingIndex | None) -> None:
        if index is None:
            for gauge in (self.documents, self.chunks, self.facts):
                gauge.set(0)
            return
        self.documents.set(len(index.documents))
        self.chunks.set(len(index.chunks))
        if self._facts_version != index.version:  # counting facts reads the store: once per version
            self.facts.set(len(index.facts()))
            self._facts_version = index.version

    def render(self) -> bytes:
        return generate_latest(self.registry)
