"""What a worker runs: handlers registered per integration type, and their context."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from pyrunlog.models import SyncRun
from pyrunlog.outcome import Progress


class SyncCancelled(Exception):  # noqa: N818 - reads as what happened
    """Raised inside a handler (by ``check`` or ``sleep``) once its run must stop."""


@dataclass
class SyncContext:
    """Given to a handler: the run, progress reporting, and the stop signal."""

    run: SyncRun
    deadline: float
    """time.monotonic() by which the handler must be done (its timeout)."""
    progress: Progress = field(default_factory=Progress)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _stop_reason: str | None = None

    def report(self, processed: int | None = None, failed: int | None = None) -> None:
        """Set the totals of records processed and failed (sent with each heartbeat)."""
        self.progress.set(processed, failed)

    def add(self, processed: int = 0, failed: int = 0) -> None:
        """Add to the totals of records processed and failed."""
        self.progress.add(processed, failed)

    @property
    def cancelled(self) -> bool:
        """True once the run must stop: cancelled, timed out or the worker is shutting down."""
        return self._stop.is_set()

    @property
    def cancel_reason(self) -> str | None:
        """Why the run must stop, once it must."""
        return self._stop_reason

    def check(self) -> None:
        """Raise SyncCancelled if the run must stop; call it between batches."""
        if self._stop.is_set():
            raise SyncCancelled(self._stop_reason or "cancelled")

    def sleep(self, seconds: float) -> None:
        """Sleep, waking early (with SyncCancelled) if the run must stop."""
        if self._stop.wait(seconds):
            self.check()

    def cancel(self, reason: str) -> None:
        """Ask the handler to stop (the worker calls this)."""
        if not self._stop.is_set():
            self._stop_reason = reason
            self._stop.set()

    @property
    def remaining(self) -> float:
        """Seconds left before the handler's timeout."""
        return self.deadline - time.monotonic()


@dataclass(frozen=True)
class PrewarmContext:
    """Given to a pre-warm hook: which slot is coming."""

    org_id: uuid.UUID
    integration_type: str
    slot: datetime


@dataclass(frozen=True)
class HealthContext:
    """Given to a health-check hook: whose API to ping, and how long it may take."""

    org_id: uuid.UUID
    integration_type: str
    at: datetime
    """When the check was claimed (the simulated time in tests)."""
    timeout: float
    """Seconds the hook may take; past that the worker records a failure."""


SyncFunction = Callable[[SyncContext], None]
PrewarmFunction = Callable[[PrewarmContext], None]
HealthCheckFunction = Callable[[HealthContext], None]

DEFAULT_TIMEOUT = 3600.0
DEFAULT_HEALTH_TIMEOUT = 10.0


@dataclass(frozen=True)
class Handler:
    """How to run one integration type."""

    integration_type: str
    sync: SyncFunction
    timeout: float = DEFAULT_TIMEOUT
    prewarm: PrewarmFunction | None = None
    health_check: HealthCheckFunction | None = None
    health_timeout: float = DEFAULT_HEALTH_TIMEOUT


class App:
    """A registry of handlers, one per integration type.

    >>> app = App()
    >>> @app.handler("xledger", timeout=900)
    ... def export(ctx: SyncContext) -> None: ...
    """

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}

    def handler(
        self,
        integration_type: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        prewarm: PrewarmFunction | None = None,
        health_check: HealthCheckFunction | None = None,
        health_timeout: float = DEFAULT_HEALTH_TIMEOUT,
    ) -> Callable[[SyncFunction], SyncFunction]:
        """Register the decorated function as the sync of an integration type.

        ``timeout`` (seconds) ends a run that takes longer as failed; ``prewarm``
        runs before each scheduled slot (warm a token, open a session);
        ``health_check`` is a lightweight ping of the external API: a HEAD request
        or the vendor's ping endpoint, never a data request. It raises when the
        API is unhealthy and must finish within ``health_timeout`` seconds.
        Workers call it at most once per 15 minutes per organisation, backing off
        after failures.
        """
        if integration_type in self.handlers:
            raise ValueError(f"a handler for {integration_type!r} is already registered")
        if timeout <= 0 or health_timeout <= 0:
            raise ValueError(f"timeouts must be positive, got {timeout!r}, {health_timeout!r}")

        def register(function: SyncFunction) -> SyncFunction:
            self.handlers[integration_type] = Handler(
                integration_type, function, timeout, prewarm, health_check, health_timeout
            )
            return function

        return register
