"""Retries end to end: each failure type through a real worker, as the worker login."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from pyrunlog import AuthError, ConfigError, RateLimited, RunLog, TransientError
from pyrunlog.app import App, SyncContext
from pyrunlog.worker import Worker
from tests.worker.conftest import wait_for

ORG = uuid.UUID("00000000-0000-4000-8000-000000000120")

StartWorker = Callable[[App], Worker]


@pytest.fixture
def fast_retries(admin_dsn: str) -> None:
    """Retries one second apart (the shortest policy allows) so that the tests are quick."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(
            "UPDATE runlog.retry_policy SET initial_delay = interval '1 second',"
            " backoff_factor = 1, jitter = 0"
        )


@pytest.fixture
def run_worker(
    worker_dsn: str, fast_retries: None, start_worker: Callable[..., Worker]
) -> StartWorker:
    """Start a worker in a thread connected as the worker login."""
    return lambda app: start_worker(app, as_dsn=worker_dsn, poll_interval=0.3)


def attempts(dsn: str, key: str) -> list[dict[str, Any]]:
    with psycopg.connect(dsn, autocommit=True, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT * FROM runlog.sync_run_log WHERE idempotency_key = %s ORDER BY attempt", [key]
        ).fetchall()


def state(dsn: str, key: str) -> str | None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT state FROM runlog.sync_periods WHERE idempotency_key = %s", [key]
        ).fetchone()
    return None if row is None else str(row[0])


def settled(dsn: str, key: str) -> bool:
    return state(dsn, key) in ("succeeded", "dead")


def failing_app(kind: str, first: BaseException) -> App:
    """A handler that raises ``first`` on attempt 1 and succeeds afterwards."""
    app = App()

    @app.handler(kind)
    def handler(ctx: SyncContext) -> None:
        if ctx.run.attempt == 1:
            raise first
        ctx.report(processed=1)

    return app


@pytest.mark.parametrize(
    ("error", "failure_type"),
    [
        (TransientError("503 Service Unavailable"), "transient_error"),
        (ValueError("a bug"), "system_error"),
        (RateLimited("429", retry_after=1), "rate_limited"),
    ],
)
def test_a_retryable_failure_is_retried_by_the_worker_until_it_succeeds(
    worker_dsn: str,
    run_worker: StartWorker,
    error: Exception,
    failure_type: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="pyrunlog.worker")
    with RunLog(worker_dsn) as runlog:
        runlog.request_sync(ORG, "vendor", "manual", None, "p1")
    run_worker(failing_app("vendor", error))
    wait_for(lambda: settled(worker_dsn, "p1"), what="the period to settle")
    first, second = attempts(worker_dsn, "p1")
    assert (first["status"], first["failure_type"], first["retry_decision"]) == (
        "failed",
        failure_type,
        "retry",
    )
    assert (second["status"], second["attempt"], second["retry_of"]) == (
        "succeeded",
        2,
        first["id"],
    )
    assert second["started_at"] >= first["ended_at"] + timedelta(seconds=0.9)
    decision = f"failed ({failure_type}): retry as run {second['id']} (attempt 2) at "
    assert decision in caplog.text


@pytest.mark.parametrize(
    ("error", "failure_type"),
    [
        (AuthError("401 Unauthorized"), "auth_error"),
        (ConfigError("404 no such ledger"), "config_error"),
    ],
)
def test_auth_and_config_errors_leave_the_period_dead_at_once(
    worker_dsn: str,
    run_worker: StartWorker,
    error: Exception,
    failure_type: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="pyrunlog.worker")
    with RunLog(worker_dsn) as runlog:
        runlog.request_sync(ORG, "vendor", "manual", None, "p1")
    run_worker(failing_app("vendor", error))
    wait_for(lambda: settled(worker_dsn, "p1"), what="the period to die")
    (only,) = attempts(worker_dsn, "p1")
    assert (only["failure_type"], only["retry_decision"]) == (failure_type, "not_retryable")
    assert state(worker_dsn, "p1") == "dead"
    assert f"({failure_type}): period p1 is dead because this failure type is never retried" in (
        caplog.text
    )


def test_a_429_holds_every_run_of_the_integration_until_retry_after(
    worker_dsn: str, run_worker: StartWorker
) -> None:
    app = App()

    @app.handler("vendor")
    def handler(ctx: SyncContext) -> None:
        if ctx.run.idempotency_key == "p1" and ctx.run.attempt == 1:
            raise RateLimited("429 Too Many Requests", retry_after=2)

    with RunLog(worker_dsn) as runlog:
        runlog.request_sync(ORG, "vendor", "manual", None, "p1")
    run_worker(app)
    wait_for(lambda: bool(attempts(worker_dsn, "p1")[0]["ended_at"]), what="the 429")
    with RunLog(worker_dsn) as runlog:
        runlog.request_sync(ORG, "vendor", "manual", None, "p2")  # queued during the hold
    wait_for(lambda: settled(worker_dsn, "p1") and settled(worker_dsn, "p2"), what="both")
    limited = attempts(worker_dsn, "p1")[0]
    hold_end = limited["ended_at"] + timedelta(seconds=1.9)
    assert attempts(worker_dsn, "p2")[0]["started_at"] >= hold_end
    assert attempts(worker_dsn, "p1")[1]["counted_attempt"] == 1  # no attempt used up


def test_a_run_whose_worker_died_is_reaped_and_retried_by_another(
    worker_dsn: str, admin_dsn: str, run_worker: StartWorker
) -> None:
    with RunLog(worker_dsn) as runlog:
        runlog.request_sync(ORG, "vendor", "manual", None, "p1")
        dead = runlog.claim_next("a-worker-that-dies")
        assert dead is not None
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_sleep(1.1)")
        assert admin.execute("SELECT runlog.reap_stale(interval '1 second')").fetchone() == (1,)
    run_worker(failing_app("vendor", TransientError("never raised: attempt 2 succeeds")))
    wait_for(lambda: settled(worker_dsn, "p1"), what="the retry")
    first, second = attempts(worker_dsn, "p1")
    assert (first["status"], first["failure_type"]) == ("timed_out", "heartbeat_timeout")
    assert second["status"] == "succeeded"
