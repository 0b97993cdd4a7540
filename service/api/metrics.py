"""Prometheus metrics: one registry per app (so tests can build many apps), exposed at GET /metrics.

Each worker process keeps its own counters; the service scales out by replicas of one worker each, and
Prometheus sums over the replicas it scrapes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.process_collector import ProcessCollector

from .cache import CacheStats

# No `*_created` timestamp series: they double the exposition and Prometheus does not need them.
disable_created_metrics()

# Seconds; the tutorial request takes a few milliseconds, the largest allowed ones several seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # resident memory, CPU seconds, open files
        labels = ("method", "route", "status")
        self.requests = Counter("optiscope_http_requests", "HTTP requests answered.", labels, registry=self.registry)
        self.latency = Histogram(
            "optiscope_http_request_duration_seconds",
            "Time from request to the end of the response.",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "optiscope_http_requests_in_flight", "Requests being served now.", registry=self.registry
        )
        self.steps = Counter(
            "optiscope_simulated_steps", "Optimizer steps simulated.", ("optimizer",), registry=self.registry
        )
        self.budget_exceeded = Counter(
            "optiscope_compute_budget_exceeded", "Simulations stopped at the compute budget.", registry=self.registry
        )

        self._steps_of: dict[str, Any] = {}  # optimizer name -> its child counter (labels() costs ~1.5 us)
        self.cache = CacheStats()  # the response cache's own counts, read at each scrape
        self.registry.register(_CacheCollector(self.cache))

    def simulated(self, optimizer: str, steps: int) -> None:
        child = self._steps_of.get(optimizer)
        if child is None:
            child = self._steps_of[optimizer] = self.steps.labels(optimizer)
        child.inc(steps)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, status).inc()
        self.latency.labels(method, route, status).observe(seconds)


async def get_metrics(request: Request) -> Metrics:
    # Async: a plain `def` dependency costs a thread-pool round trip on every request that uses it.
    return request.app.state.metrics


MetricsDep = Annotated[Metrics, Depends(get_metrics)]


class _CacheCollector:
    """The response cache's hits, misses and size, as the cache counts them (no work on its hot path)."""

    def __init__(self, stats: CacheStats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Any]:
        yield CounterMetricFamily(
            "optiscope_response_cache_hits", "Requests answered from the response cache.", value=self.stats.hits
        )
        yield CounterMetricFamily(
            "optiscope_response_cache_misses", "Cacheable requests computed.", value=self.stats.misses
        )
        yield GaugeMetricFamily(
            "optiscope_response_cache_bytes",
            "Bytes of the answers the response cache holds.",
            value=self.stats.stored_bytes,
        )


router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    summary="Prometheus metrics, text format",
    response_class=Response,
    responses={200: {"description": "Prometheus text exposition format.", "content": {"text/plain": {}}}},
)
def metrics(metrics: MetricsDep) -> Response:
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
