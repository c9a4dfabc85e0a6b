"""`pyrunlog exporter`: serve runlog.metrics() at /metrics in the Prometheus text format.

Each scrape calls runlog.metrics() once, under a statement timeout, on one
connection the exporter keeps (and reopens after an error). The exporter adds
its own scrape duration, error counter and up gauge. It connects as a login
holding runlog_monitor (or runlog_admin).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import psycopg
from prometheus_client.core import Metric
from prometheus_client.registry import Collector, CollectorRegistry

from pyrunlog.observability.catalog import EXPORTER_METRICS, SQL_METRICS, by_name, family_of
from pyrunlog.observability.sql_metrics import MetricRow, read_metrics

log = logging.getLogger("pyrunlog.exporter")

_HELP = by_name(SQL_METRICS + EXPORTER_METRICS)


def families(rows: Iterable[MetricRow]) -> list[Metric]:
    """Group sample rows into Prometheus metric families (HELP from the catalogue)."""
    found: dict[str, Metric] = {}
    for row in rows:
        name = family_of(row.name, row.kind)
        family = found.get(name)
        if family is None:
            spec = _HELP.get(name)
            family = Metric(name, spec.help if spec else name, row.kind)
            found[name] = family
        family.add_sample(row.name, row.labels, row.value)
    return list(found.values())


class RunLogCollector(Collector):
    """Calls runlog.metrics() on every scrape; one connection, serialised by a lock."""

    def __init__(self, dsn: str, timeout_ms: int = 2000) -> None:
        self.dsn = dsn
        self.timeout_ms = timeout_ms
        self.errors = 0
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            started = time.perf_counter()
            try:
                rows = read_metrics(self._connection(), self.timeout_ms)
            except psycopg.Error as exc:
                self.errors += 1
                self._discard()
                log.warning(
                    "scrape failed: %s", str(exc).strip().splitlines()[0] if str(exc) else exc
                )
                rows, up = [], 0.0
            else:
                up = 1.0
            elapsed = time.perf_counter() - started
            yield from families(rows)
            yield from families(
                [
                    MetricRow("pyrunlog_exporter_scrape_duration_seconds", "gauge", {}, elapsed),
                    MetricRow("pyrunlog_exporter_scrape_errors_total", "counter", {}, self.errors),
                    MetricRow("pyrunlog_exporter_up", "gauge", {}, up),
                ]
            )

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.dsn, connect_timeout=5)
        return self._conn

    def _discard(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def close(self) -> None:
        with self._lock:
            self._discard()


def registry_for(collector: RunLogCollector) -> CollectorRegistry:
    """A registry serving only pyrunlog's metrics (no process or platform collectors)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry


class ExporterServer:
    """`pyrunlog exporter` in a background thread: /metrics at ``url`` until ``close``."""

    def __init__(
        self, dsn: str, port: int = 0, host: str = "127.0.0.1", timeout_ms: int = 2000
    ) -> None:
        from prometheus_client import start_http_server

        self.collector = RunLogCollector(dsn, timeout_ms)
        self._server, self._thread = start_http_server(port, host, registry_for(self.collector))
        bound_port = self._server.server_address[1]
        self.url = f"http://{host}:{bound_port}/metrics"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self.collector.close()
