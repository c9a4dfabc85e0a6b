"""The worker's own metrics and its Kubernetes probes, on one small HTTP server.

/metrics: handler duration histograms, runs in flight, runs claimed.
/livez:  200 while the worker's main loop keeps iterating (no database call).
/readyz: 200 while the worker is connected and listening for notifications.

The worker reports to a :class:`WorkerObserver`; the plain one does nothing, so a
worker without ``--metrics-port`` pays nothing.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from pyrunlog.observability.catalog import WORKER_METRICS, by_name
from pyrunlog.observability.logs import run_fields

T = TypeVar("T")
_SPECS = by_name(WORKER_METRICS)
DURATION_BUCKETS = (0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)


class WorkerObserver:
    """What the worker reports: loop iterations, claims and handler calls. Does nothing."""

    def loop_alive(self, listening: bool) -> None:
        """The main loop iterated; ``listening``: connected with LISTEN active."""

    def disconnected(self) -> None:
        """The worker lost its database connection and is reconnecting."""

    def claimed(self, runs: int) -> None:
        """The worker claimed this many runs."""

    def observe(self, run: Any, call: Callable[[], T]) -> T:
        """Call the run's handler (``call`` returns (status, message))."""
        with run_fields(run):
            return call()


class MetricsObserver(WorkerObserver):
    """Records the worker's metrics and probe state in its own registry."""

    def __init__(self, stale_after: float = 60.0) -> None:
        self.stale_after = stale_after
        self.registry = CollectorRegistry(auto_describe=True)
        spec = _SPECS["pyrunlog_worker_handler_duration_seconds"]
        self.durations = Histogram(
            spec.name, spec.help, spec.labels, buckets=DURATION_BUCKETS, registry=self.registry
        )
        spec = _SPECS["pyrunlog_worker_runs_in_flight"]
        self.in_flight = Gauge(spec.name, spec.help, registry=self.registry)
        spec = _SPECS["pyrunlog_worker_claims"]
        self.claims = Counter(spec.name, spec.help, registry=self.registry)
        self._last_beat = 0.0
        self._listening = False

    def loop_alive(self, listening: bool) -> None:
        self._last_beat = time.monotonic()
        self._listening = listening

    def disconnected(self) -> None:
        self._listening = False

    def claimed(self, runs: int) -> None:
        self.claims.inc(runs)

    def observe(self, run: Any, call: Callable[[], T]) -> T:
        started = time.perf_counter()
        status = "failed"
        with self.in_flight.track_inprogress(), run_fields(run):
            try:
                result = call()
                status = str(getattr(result[0], "value", result[0]))  # type: ignore[index]
                return result
            finally:
                self.durations.labels(run.integration_type, status).observe(
                    time.perf_counter() - started
                )

    def alive(self) -> bool:
        """The main loop iterated within ``stale_after`` seconds."""
        return self._last_beat > 0 and time.monotonic() - self._last_beat < self.stale_after

    def ready(self) -> bool:
        """Alive, connected and listening."""
        return self.alive() and self._listening


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""


def probe_app(observer: MetricsObserver) -> Callable[..., Iterable[bytes]]:
    """WSGI app: /livez, /readyz, and /metrics (everything else)."""
    metrics = make_wsgi_app(observer.registry)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path in ("/livez", "/readyz"):
            ok = observer.alive() if path == "/livez" else observer.ready()
            start_response(
                "200 OK" if ok else "503 Service Unavailable", [("Content-Type", "text/plain")]
            )
            return [b"ok\n" if ok else b"not ok\n"]
        return metrics(environ, start_response)  # type: ignore[no-any-return]

    return app


@contextlib.contextmanager
def serve_probes(observer: MetricsObserver, port: int, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve the probes and metrics on a daemon thread; yields the base URL."""
    server = make_server(host, port, probe_app(observer), ThreadingWSGIServer, _Quiet)
    thread = threading.Thread(target=server.serve_forever, name="probes", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
