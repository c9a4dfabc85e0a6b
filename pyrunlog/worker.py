"""The worker: claims runs, calls handlers, heartbeats, finishes, shuts down gracefully.

It wakes on LISTEN/NOTIFY (runlog_queued) with a polling fallback, claims
with claim_next (SKIP LOCKED, one run per integration at a time), runs up to
``concurrency`` handlers in threads, heartbeats them, and finishes each run
succeeded, partial, failed or cancelled. On SIGTERM it stops claiming, lets
running syncs finish within a grace period, then cancels them with a reason.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

import psycopg

from pyrunlog.app import App, Handler, HealthContext, PrewarmContext, SyncCancelled, SyncContext
from pyrunlog.errors import NotRunning, RunLogError
from pyrunlog.failures import TransientError, failure_type_of, retry_after_of
from pyrunlog.models import RunStatus, SyncRun
from pyrunlog.observability.logs import fields_of
from pyrunlog.observability.probes import WorkerObserver
from pyrunlog.repository import RunLog
from pyrunlog.sanitize import describe_exception
from pyrunlog.wakeups import WakeBudget
from pyrunlog.wording import count_of

log = logging.getLogger("pyrunlog.worker")

# Any connection may NOTIFY on these channels: a notification only wakes the
# worker, which then asks the database what to do (docs/security.md).
CHANNELS = ("runlog_queued", "runlog_prewarm", "runlog_alert")
ALERT_KINDS = ("drift", "health")
# Payloads the database sends are an integration type or an alert kind.
MAX_PAYLOAD = 100
# Seconds before a failed tick (runlog.maintain) is tried again.
MAINTAIN_RETRY = 5.0


@dataclass
class _Active:
    run: SyncRun
    handler: Handler
    context: SyncContext
    thread: threading.Thread
    finished: bool = False
    started: float = field(default_factory=time.monotonic)


class Worker:
    """Runs the handlers of an App for queued runs.

    ``tick=True`` also drives tick, pre-warm and the reaper every minute (and
    retention daily) for deployments without pg_cron; a row lock on an
    owner-only table lets one worker at a time do it.
    """

    def __init__(
        self,
        dsn: str,
        app: App,
        *,
        concurrency: int = 4,
        worker_id: str | None = None,
        poll_interval: float = 5.0,
        heartbeat_interval: float = 10.0,
        grace_period: float = 30.0,
        tick: bool = False,
        listen: bool = True,
        health_poll_interval: float = 30.0,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if not app.handlers:
            raise ValueError("the app has no handlers")
        self.dsn = dsn
        self.app = app
        self.concurrency = concurrency
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.poll_interval = poll_interval
        self.heartbeat_interval = heartbeat_interval
        self.grace_period = grace_period
        self.tick = tick
        self.listen = listen
        self.health_poll_interval = health_poll_interval
        self._next_health = 0.0
        self._health_types = sorted(t for t, h in app.handlers.items() if h.health_check)
        self._prewarm_types = sorted(t for t, h in app.handlers.items() if h.prewarm)
        self._prewarm_due = True
        self._next_prewarm_poll = 0.0
        self._alerts_due = False
        self._last_alert_id: int | None = None
        self.runlog = RunLog(dsn, max_size=concurrency + 3)
        self._active: dict[int, _Active] = {}
        self._lock = threading.Lock()
        self._claiming = threading.Lock()
        self._types = sorted(app.handlers)
        self._stopping = threading.Event()
        self._idle = threading.Condition(self._lock)
        self._next_tick = 0.0
        self._next_poll = 0.0
        self._wake = True
        # Notifications are hints anyone can send: rounds started by them are
        # budgeted per kind (pyrunlog.wakeups).
        self._budgets = {kind: WakeBudget() for kind in ("claim", "prewarm", "alerts")}
        self._next_prune = 0.0
        self.runs_done = 0
        self.observer = WorkerObserver()  # metrics and probes (pyrunlog.observability)

    # -- lifecycle -----------------------------------------------------------

    def stop(self) -> None:
        """Stop claiming; ``run`` then drains and returns."""
        self._stopping.set()

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT stop the worker gracefully."""

        def handle(signum: int, frame: FrameType | None) -> None:
            log.info("received %s: stopping", signal.Signals(signum).name)
            self.stop()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)

    def run(self) -> None:
        """Work until ``stop``; then drain within the grace period and return."""
        log.info("worker %s started: %s", self.worker_id, ", ".join(sorted(self.app.handlers)))
        beats = threading.Thread(target=self._heartbeat_loop, name="heartbeats", daemon=True)
        beats.start()
        try:
            self._main_loop()
        finally:
            self._drain()
            self.runlog.close()
            log.info("worker %s stopped after %s", self.worker_id, count_of(self.runs_done, "run"))

    def _main_loop(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                with self._listener() as listener:
                    backoff = 0.5
                    self._wake = True  # claim what is already queued
                    while not self._stopping.is_set():
                        self._maintain()
                        self._health()
                        self._prewarms()
                        self._alerts()
                        due = self._wake or time.monotonic() >= self._next_poll
                        if due and self._budgets["claim"].take():
                            self._wake = False
                            self._next_poll = time.monotonic() + self.poll_interval
                            with _unless_offline("claiming runs"):
                                self._fill()
                        self._wait(listener)
                        self.observer.loop_alive(listening=listener is not None or not self.listen)
            except psycopg.OperationalError as exc:
                self.observer.disconnected()
                log.warning("database unavailable (%s); reconnecting in %.1fs", exc, backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 10.0)

    @contextlib.contextmanager
    def _listener(self) -> Iterator[psycopg.Connection[Any] | None]:
        if not self.listen:
            yield None
            return
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            for channel in CHANNELS:
                conn.execute(f"LISTEN {channel}")
            yield conn

    def _wait(self, listener: psycopg.Connection[Any] | None) -> None:
        """Wait up to a second for notifications (so that stop is seen quickly)."""
        now = time.monotonic()
        timeout = max(0.01, min(1.0, self._next_poll - now))
        if self.tick:
            timeout = max(0.01, min(timeout, self._next_tick - now))
        pending = [
            self._budgets[kind].seconds_until_next()
            for kind, due in (
                ("claim", self._wake),
                ("prewarm", self._prewarm_due and bool(self._prewarm_types)),
                ("alerts", self._alerts_due),
            )
            if due
        ]
        if pending:  # a hint waits for its budget: act on it as soon as there is one
            timeout = max(0.01, min(timeout, min(pending)))
        if listener is None:
            self._stopping.wait(timeout)
            return
        # Read them all before handling any: the generator holds the connection.
        notices = list(listener.notifies(timeout=timeout, stop_after=1))
        notices += listener.notifies(timeout=0)  # what else arrived meanwhile
        for notice in notices:
            self._on_notice(notice.channel, notice.payload)

    def _on_notice(self, channel: str, payload: str) -> None:
        """Take a notification as a hint: it may wake the worker, never tell it what to do.

        Anyone can NOTIFY, so the payload is only checked against what the
        database sends (an integration type, an alert kind); anything else is
        ignored with a debug line.
        """
        if len(payload) > MAX_PAYLOAD:
            log.debug("ignored a %d-character notification on %s", len(payload), channel)
        elif channel == "runlog_queued":
            self._wake = True  # claim_runs takes only what is queued
        elif channel == "runlog_prewarm" and payload in self._prewarm_types:
            self._prewarm_due = True  # claim_prewarms takes only what prewarm() planned
        elif channel == "runlog_alert" and payload in ALERT_KINDS:
            self._alerts_due = True  # recent_alerts reads what the database raised
        else:
            log.debug("ignored notification on %s: %r", channel, payload[:MAX_PAYLOAD])

    # -- claiming and running --------------------------------------------------

    def _fill(self) -> None:
        """Claim runs for every free slot in one call (one claimer at a time)."""
        with self._claiming:
            if self._stopping.is_set():
                return
            with self._lock:
                free = self.concurrency - len(self._active)
            if free <= 0:
                return
            runs = self.runlog.claim_runs(self.worker_id, self._types, free)
            self.observer.claimed(len(runs))
            if runs:
                self._budgets["claim"].found_work()
            for run in runs:
                self._start(run)

    def _start(self, run: SyncRun) -> None:
        thread = threading.Thread(
            target=self._execute, args=(run,), name=f"run-{run.id}", daemon=True
        )
        self._register(run, thread)
        thread.start()

    def _register(self, run: SyncRun, thread: threading.Thread) -> _Active:
        handler = self.app.handlers[run.integration_type]
        context = SyncContext(run=run, deadline=time.monotonic() + handler.timeout)
        active = _Active(run, handler, context, thread)
        with self._lock:
            self._active[run.id] = active
        return active

    def _execute(self, run: SyncRun) -> None:
        """Run this run, then, while runs keep coming, the next one on the same thread."""
        active = self._active[run.id]
        while True:
            call = functools.partial(self._call, active)
            status, message, failure = self.observer.observe(active.run, call)
            claimed = self._finish(
                active, status, message, claim=not self._stopping.is_set(), failure=failure
            )
            with self._lock:
                self._active.pop(active.run.id, None)
                self.runs_done += 1
                self._idle.notify_all()
            if claimed is None:
                break
            self.observer.claimed(1)
            self._budgets["claim"].found_work()
            active = self._register(claimed, threading.current_thread())
        if not self._stopping.is_set():
            with contextlib.suppress(psycopg.Error, RunLogError):
                self._fill()  # a slot is free: take what is queued

    def _call(self, active: _Active) -> tuple[RunStatus, str | None, Exception | None]:
        """Call the handler; the status, error message and exception the run ends with."""
        context = active.context
        try:
            active.handler.sync(context)
        except SyncCancelled as exc:
            return RunStatus.CANCELLED, str(exc), None
        except Exception as exc:
            message = describe_exception(exc)
            failure_type = failure_type_of(exc)
            log.info(
                "run %s (%s) failed (%s): %s",
                active.run.id,
                active.run.integration_type,
                failure_type,
                message,
                extra=fields_of(active.run, failure_type=failure_type),
            )
            return RunStatus.FAILED, message, exc
        status = RunStatus.PARTIAL if context.progress.failed > 0 else RunStatus.SUCCEEDED
        return status, None, None

    def _finish(
        self,
        active: _Active,
        status: RunStatus,
        message: str | None,
        claim: bool = False,
        failure: Exception | None = None,
    ) -> SyncRun | None:
        """Finish once (retried over a brief outage); with claim, also take the next run.

        A failure is recorded with its type and Retry-After by fail_run, which
        queues the retry in the same transaction; the decision is logged.
        """
        with self._lock:
            if active.finished:
                return None
            active.finished = True
        progress = active.context.progress
        # After a server restart the pool may hand out several dead connections
        # (each is discarded once it fails): retry past them.
        for attempt in range(10):
            try:
                if failure is not None:
                    failed, retry = self.runlog.fail_run(
                        active.run.id,
                        failure_type_of(failure),
                        message,
                        retry_after_of(failure),
                        progress.processed,
                        progress.failed,
                    )
                    _log_finished(active, status)
                    log_retry_decision(failed, retry)
                    if not claim:
                        return None
                    taken = self.runlog.claim_runs(self.worker_id, self._types, 1)
                    return taken[0] if taken else None
                claimed = None
                if claim:
                    claimed = self.runlog.finish_and_claim(
                        active.run.id,
                        status,
                        progress.processed,
                        progress.failed,
                        message,
                        self.worker_id,
                        self._types,
                    )
                else:
                    self.runlog.finish_run(
                        active.run.id, status, progress.processed, progress.failed, message
                    )
                _log_finished(active, status)
                return claimed
            except NotRunning:
                return None  # cancelled by an operator or reaped meanwhile
            except psycopg.OperationalError as exc:
                log.warning("finishing run %s failed (%s); retrying", active.run.id, exc)
                time.sleep(min(0.5 * 2**attempt, 5.0))
        log.error("run %s could not be finished; the reaper will time it out", active.run.id)
        return None

    # -- heartbeats, timeouts, cancellation ------------------------------------

    def _heartbeat_loop(self) -> None:
        """Every 0.2 s enforce handler timeouts; every heartbeat_interval send heartbeats."""
        last_beat = time.monotonic()
        while True:
            with self._lock:
                actives = list(self._active.values())
            if self._stopping.is_set() and not actives:
                return
            for active in actives:
                if active.context.remaining <= 0 and not active.finished:
                    self._time_out(active)
            if time.monotonic() - last_beat >= self.heartbeat_interval:
                last_beat = time.monotonic()
                for active in actives:
                    self._beat(active)
            time.sleep(0.2)

    def _time_out(self, active: _Active) -> None:
        limit = active.handler.timeout
        active.context.cancel(f"timed out after {limit:g}s (handler timeout)")
        message = f"handler timed out after {limit:g}s"
        self._finish(active, RunStatus.FAILED, message, failure=TransientError(message))

    def _beat(self, active: _Active) -> None:
        if active.finished:
            return
        progress = active.context.progress
        try:
            self.runlog.heartbeat(active.run.id, progress.processed, progress.failed)
        except NotRunning:
            active.context.cancel("cancelled: the run is no longer running (cancelled or reaped)")
            with self._lock:
                active.finished = True
        except psycopg.Error as exc:
            log.warning("heartbeat for run %s failed: %s", active.run.id, exc)

    def _drain(self) -> None:
        """Let running syncs finish within the grace period, then cancel the rest."""
        deadline = time.monotonic() + self.grace_period
        with self._lock:
            while self._active and time.monotonic() < deadline:
                self._idle.wait(timeout=0.1)
            leftovers = list(self._active.values())
        for active in leftovers:
            reason = f"worker {self.worker_id} shut down (grace period {self.grace_period:g}s over)"
            active.context.cancel(reason)
            self._finish(active, RunStatus.CANCELLED, reason)
        for active in leftovers:
            active.thread.join(timeout=1.0)

    # -- pre-warm and driving the jobs without pg_cron ----------------------------

    def _prewarms(self) -> None:
        """Claim the pre-warms the database planned for this worker's hooks, and run them."""
        if not self._prewarm_types:
            return
        if not self._prewarm_due and time.monotonic() < self._next_prewarm_poll:
            return
        if not self._budgets["prewarm"].take():
            return
        self._prewarm_due = False
        self._next_prewarm_poll = time.monotonic() + self.poll_interval
        with _unless_offline("claiming pre-warms"):
            claimed = self.runlog.claim_prewarms(
                self.worker_id, self._prewarm_types, max_claims=self.concurrency
            )
            self._prewarm_due = len(claimed) == self.concurrency  # more may wait
            if claimed:
                self._budgets["prewarm"].found_work()
            for org_id, integration_type, slot in claimed:
                handler = self.app.handlers[integration_type]
                context = PrewarmContext(org_id, integration_type, slot)
                threading.Thread(
                    target=self._run_prewarm, args=(handler, context), name="prewarm", daemon=True
                ).start()

    def _alerts(self) -> None:
        """Log the alerts the database raised since the last one this worker logged."""
        if not self._alerts_due or not self._budgets["alerts"].take():
            return
        self._alerts_due = False
        with _unless_offline("reading alerts"):
            for alert in self.runlog.recent_alerts(self._last_alert_id):
                _log_alert(alert)
                self._last_alert_id = int(alert["id"])
                self._budgets["alerts"].found_work()

    def _run_prewarm(self, handler: Handler, context: PrewarmContext) -> None:
        assert handler.prewarm is not None
        started = time.monotonic()
        ok, error = True, None
        try:
            handler.prewarm(context)
        except Exception as exc:
            ok, error = False, describe_exception(exc)
        latency = int((time.monotonic() - started) * 1000)
        with contextlib.suppress(psycopg.Error):
            self.runlog.record_prewarm(
                context.org_id,
                context.integration_type,
                context.slot,
                ok,
                latency,
                error,
                self.worker_id,
            )

    def _maintain(self) -> None:
        if not self.tick or time.monotonic() < self._next_tick:
            return
        # A failed tick (a lock held past lock_timeout, say) is tried again soon;
        # slots are not lost meanwhile (catch-up).
        self._next_tick = time.monotonic() + MAINTAIN_RETRY
        with _unless_offline("tick (runlog.maintain)"):
            result = self.runlog.maintain(self.worker_id)
            if result and result.get("enqueued"):
                log.info("tick enqueued %s runs", result["enqueued"])
            # the next minute boundary
            self._next_tick = time.monotonic() + 60.0 - (time.time() % 60.0) + 0.05
        if time.monotonic() >= self._next_prune:
            with _unless_offline("retention (runlog.maintain_retention)"):
                self.runlog.maintain_retention(self.worker_id)
                self._next_prune = time.monotonic() + timedelta(hours=24).total_seconds()

    # -- active health checks -------------------------------------------------------

    def _health(self) -> None:
        if not self._health_types or time.monotonic() < self._next_health:
            return
        self._next_health = time.monotonic() + self.health_poll_interval
        threading.Thread(target=self.run_health_checks, name="health", daemon=True).start()

    def run_health_checks(self, at: datetime | None = None) -> int:
        """Claim the health checks due now (the database's clock) and run them.

        ``at`` simulates another time and needs a runlog_admin connection.

        Each hook gets its handler's ``health_timeout``; one that hangs past it
        counts as a failure (its thread is abandoned). Returns how many ran.
        """
        claimed = self.runlog.claim_health_checks(
            self.worker_id, self._health_types, max_checks=self.concurrency, at=at
        )
        for org_id, integration_type, claimed_at in claimed:
            handler = self.app.handlers[integration_type]
            context = HealthContext(org_id, integration_type, claimed_at, handler.health_timeout)
            ok, latency, error = _call_with_timeout(handler, context)
            try:
                state = self.runlog.record_health_check(
                    org_id, integration_type, ok, latency, error, claimed_at
                )
            except psycopg.Error as exc:
                log.warning("recording the health of %s failed: %s", integration_type, exc)
                continue
            if not ok:
                log.warning("health check of %s (%s) failed: %s", integration_type, org_id, error)
            log.debug("health of %s (%s): %s", integration_type, org_id, state)
        return len(claimed)


def _call_with_timeout(handler: Handler, context: HealthContext) -> tuple[bool, int, str | None]:
    """Run a health-check hook in a thread; (ok, latency ms, error) within its timeout."""
    assert handler.health_check is not None
    hook = handler.health_check
    outcome: list[BaseException | None] = []

    def call() -> None:
        try:
            hook(context)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    started = time.monotonic()
    thread = threading.Thread(target=call, name="health-check", daemon=True)
    thread.start()
    thread.join(context.timeout)
    latency = int((time.monotonic() - started) * 1000)
    if not outcome:
        return False, latency, f"health check timed out after {context.timeout:g}s"
    error = outcome[0]
    return error is None, latency, None if error is None else describe_exception(error)


@contextlib.contextmanager
def _unless_offline(doing: str) -> Iterator[None]:
    """Log a database error as a warning; a lost connection goes on to the reconnect loop.

    pyrunlog's own errors (LockTimeout, PermissionDenied...) are database
    errors too: the worker logs them and carries on.
    """
    try:
        yield
    except psycopg.OperationalError:
        raise
    except (psycopg.Error, RunLogError) as exc:
        log.warning("%s failed: %s", doing, exc)


def log_retry_decision(failed: SyncRun, retry: SyncRun | None) -> None:
    """Log what fail_run decided: the retry and when, or why the period is dead.

    JSON lines carry the failed attempt's run_id, org_id, integration_type,
    attempt and failure_type.
    """
    what = f"run {failed.id} ({failed.integration_type}, attempt {failed.attempt})"
    fields = fields_of(failed)
    if retry is not None:
        log.info(
            "%s failed (%s): retry as run %s (attempt %s) at %s",
            what,
            failed.failure_type,
            retry.id,
            retry.attempt,
            retry.run_after.isoformat() if retry.run_after else "once due",
            extra=fields,
        )
    elif failed.retry_decision == "no_period":
        log.info(
            "%s failed (%s): not retried (a run without a period)",
            what,
            failed.failure_type,
            extra=fields,
        )
    else:
        log.warning(
            "%s failed (%s): period %s is dead because %s",
            what,
            failed.failure_type,
            failed.idempotency_key,
            DEAD_BECAUSE.get(failed.retry_decision or "", failed.retry_decision),
            extra=fields,
        )


DEAD_BECAUSE = {
    "exhausted": "its retry policy's attempts are used up",
    "not_retryable": "this failure type is never retried",
    "window_closed": "no retry could start before the schedule's next slot",
}


def _log_finished(active: _Active, status: RunStatus) -> None:
    """One INFO line per finished run: id, organisation, integration, status, records, time."""
    progress = active.context.progress
    log.info(
        "run %s: %s of %s %s, %s records (%s failed) in %.2fs",
        active.run.id,
        active.run.integration_type,
        active.run.org_id,
        status.value,
        progress.processed,
        progress.failed,
        time.monotonic() - active.started,
        extra=fields_of(active.run),
    )


def _log_alert(alert: dict[str, Any]) -> None:
    """Log a row of runlog.alert_log as a sentence; bad news as a warning."""
    where = f"{alert['integration_type']} of {alert['org_id']}"
    details = alert.get("details") or {}
    if alert["kind"] == "drift":
        log.warning(
            "drift: %s started %ss after its slot %s",
            where,
            round(float(details.get("drift_seconds") or 0)),
            details.get("scheduled_for"),
        )
    elif details.get("to") == "healthy":
        again = " again" if details.get("from") == "unhealthy" else ""
        log.info("health: %s is healthy%s (%s)", where, again, details.get("based_on"))
    else:
        log.warning(
            "health: %s is %s (%s): %s",
            where,
            details.get("to"),
            details.get("based_on"),
            details.get("error"),
        )
