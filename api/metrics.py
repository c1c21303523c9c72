"""Prometheus metrics at ``GET /metrics``.

Counted by each process as it serves (by ``api.access_log.RequestLog``, the app's outermost
layer: a clock read and two counter increments per request, no task and no thread of its own):

- ``ledger_http_request_duration_seconds``: a latency histogram per method and route
  *template* (``/v1/subjects/{subject_id}``, never the raw path, so ids cannot blow up the
  number of series; a path no route matches is ``unmatched``);
- ``ledger_http_requests_total``: requests by method, route and status;
- ``ledger_refusals_total``: answers of 400 or more by status and problem type (the slug of
  the problem document's ``type``, or its title for ``about:blank``: ``too-many-requests``);
- ``ledger_writes_recorded_total`` and ``ledger_events_recorded_total``: writes this process
  recorded in the ledger, and their events.

Read from the database at each scrape, so that every process reports the same, whoever did
the work (``application.monitoring``):

- ``ledger_log_position``, ``ledger_views_position``, ``ledger_projection_lag_events`` and
  ``ledger_projection_lag_seconds``;
- ``ledger_imports_total`` and ``ledger_import_events_total``: publications imported and the
  events they recorded, by authority (``ledger import`` runs in processes of its own).

With several server processes, each writes its counts to files in ``PROMETHEUS_MULTIPROC_DIR``
(``ledger serve --workers N`` makes a temporary one when it is not set) and a scrape, answered
by any one process, sums them all. That variable must be set before ``prometheus_client`` is
first imported, which ``ledger serve`` does before it starts the workers.

``LEDGER_METRICS_ACCESS`` says who may scrape: ``public`` (the default: the figures hold no
secret and no id, and a scraper on a closed network needs no key) or ``admin``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from api.auth import ADMIN, PUBLIC
from api.blocking import blocking
from application.bootstrap import Services
from application.commits import boundaries
from application.monitoring import ImportCounts, views_lag
from application.receipts import WriteReceipt
from application.settings import Settings

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROCESS_DIR))


class Metrics:
    """One app's metrics. In one process they live in the app's own registry; with several,
    in the shared files, gathered at scrape time."""

    def __init__(self) -> None:
        self.multiprocess = multiprocess_mode()
        self.registry: CollectorRegistry | None = None if self.multiprocess else CollectorRegistry()
        registry = self.registry
        self.latency = Histogram(
            "ledger_http_request_duration_seconds",
            "Time to answer a request, by method and route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.requests = Counter(
            "ledger_http_requests",
            "Requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=registry,
        )
        self.refusals = Counter(
            "ledger_refusals",
            "Requests answered with a problem document, by status and problem type",
            ["status", "problem"],
            registry=registry,
        )
        self.writes = Counter(
            "ledger_writes_recorded",
            "Writes this process recorded in the ledger",
            [],
            registry=registry,
        )
        self.events = Counter(
            "ledger_events_recorded",
            "Events the writes of this process recorded",
            [],
            registry=registry,
        )
        self._collector: LedgerCollector | None = None
        # Bounded: methods Starlette accepts times route templates (or ``unmatched``).
        self._children: dict[tuple[str, str], tuple[Histogram, dict[int, Counter]]] = {}

    def observe(self, scope: Scope, status: int, seconds: float, problem: str | None) -> None:
        """Count one answered request. The series' children are looked up once per method,
        route template and status, not through ``labels`` (a lock and a tuple) each time."""
        method = scope["method"]
        route = _route_template(scope)
        key = (method, route)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (self.latency.labels(method, route), {})
        latency, by_status = children
        latency.observe(seconds)
        count = by_status.get(status)
        if count is None:
            count = by_status[status] = self.requests.labels(method, route, str(status))
        count.inc()
        if status >= 400:
            self.refusals.labels(str(status), problem or "other").inc()

    def ledger_collector(self, services: Services) -> LedgerCollector:
        """The database's figures for the running services, made once per services."""
        collector = self._collector
        if collector is None or collector.services is not services:
            collector = self._collector = LedgerCollector(services)
        return collector

    def recorded(self, receipt: WriteReceipt) -> None:
        """A ledger listener: called after each write this process commits."""
        self.writes.inc()
        self.events.inc(len(receipt.events))


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class LedgerCollector(Collector):
    """The figures read from the database at each scrape."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.imports = ImportCounts(services.positions, boundaries(services.ledger.recorder))

    def collect(self) -> Iterator[Metric]:
        services = self.services
        lag = views_lag(services.ledger, services.views, services.ledger.clock())
        yield _gauge(
            "ledger_log_position", "The position of the last event in the log", lag.position
        )
        yield _gauge(
            "ledger_views_position", "The last position the views reflect", lag.views_position
        )
        yield _gauge(
            "ledger_projection_lag_events", "Events the views do not reflect yet", lag.events
        )
        if lag.seconds is not None:
            yield _gauge(
                "ledger_projection_lag_seconds",
                "Age of the oldest event the views do not reflect yet (0 when up to date)",
                lag.seconds,
            )
        publications = CounterMetricFamily(
            "ledger_imports", "Publications imported, by authority", labels=["authority"]
        )
        events = CounterMetricFamily(
            "ledger_import_events", "Events recorded by imports, by authority", labels=["authority"]
        )
        for authority, count in self.imports.by_authority().items():
            publications.add_metric([authority.value], count.publications)
            events.add_metric([authority.value], count.events)
        yield publications
        yield events


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def install_metrics(app: FastAPI, settings: Settings) -> Metrics:
    """Count every request, and serve ``GET /metrics`` to whom the settings say."""
    metrics = Metrics()
    app.state.metrics = metrics

    async def scrape(request: Request) -> Response:
        services: Services = request.app.state.services
        body = await blocking(_exposition, metrics, services)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    app.add_api_route(
        "/metrics",
        scrape,
        methods=["GET"],
        include_in_schema=False,
        dependencies=[PUBLIC if settings.metrics_access == "public" else ADMIN],
    )
    return metrics


def _exposition(metrics: Metrics, services: Services) -> bytes:
    registry = CollectorRegistry()
    if metrics.multiprocess:
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        assert metrics.registry is not None
        registry.register(metrics.registry)  # a registry is a collector of its own metrics
    registry.register(metrics.ledger_collector(services))
    return generate_latest(registry)
