"""RunLog: typed calls, exceptions, the run context manager, reader scope."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from psycopg_pool import ConnectionPool

from pyrunlog import (
    AlreadyRunning,
    DuplicatePeriod,
    InvalidArgument,
    NotRunning,
    PermissionDenied,
    RunLog,
    RunNotFound,
    RunStatus,
    Trigger,
)
from pyrunlog.migrate import latest_version
from tests.helpers import Conn

ORG = uuid.UUID("00000000-0000-4000-8000-000000000005")


def test_start_and_finish_return_typed_runs(runlog: RunLog) -> None:
    run = runlog.start_run(ORG, "xledger", Trigger.SCHEDULER)
    assert run.status is RunStatus.RUNNING
    assert run.triggered_by is Trigger.SCHEDULER
    done = runlog.finish_run(run.id, RunStatus.PARTIAL, 10, 2, "2 invoices rejected")
    assert done.status is RunStatus.PARTIAL
    assert done.status.ended
    assert (done.records_processed, done.records_failed) == (10, 2)
    assert isinstance(done.duration_seconds, float)


@pytest.mark.parametrize(
    ("action", "error"),
    [
        (lambda r: r.start_run(ORG, "Bad Type"), InvalidArgument),
        (lambda r: r.finish_run(987654, "succeeded"), RunNotFound),
        (lambda r: r.heartbeat(987654), RunNotFound),
        (lambda r: r.cancel_run(987654), RunNotFound),
        (lambda r: r.run_history(ORG, max_rows=0), InvalidArgument),
    ],
    ids=["invalid", "finish-unknown", "heartbeat-unknown", "cancel-unknown", "history"],
)
def test_sqlstates_map_to_package_exceptions(
    runlog: RunLog, action: Callable[[RunLog], object], error: type[Exception]
) -> None:
    with pytest.raises(error) as info:
        action(runlog)
    assert isinstance(info.value.__cause__, psycopg.Error)


def test_conflicts_map_to_already_running_and_duplicate_period(runlog: RunLog) -> None:
    run = runlog.start_run(ORG, "xledger", idempotency_key="p1")
    with pytest.raises(AlreadyRunning, match="already running"):
        runlog.start_run(ORG, "xledger")
    with pytest.raises(DuplicatePeriod, match="p1"):
        runlog.request_sync(ORG, "visma", idempotency_key="p1")
    runlog.finish_run(run.id, "succeeded")
    with pytest.raises(NotRunning, match="succeeded"):
        runlog.finish_run(run.id, "failed")


def test_request_claim_and_history(runlog: RunLog) -> None:
    queued = runlog.request_sync(ORG, "xledger")
    assert runlog.claim_next("w1", ["visma"]) is None
    claimed = runlog.claim_next("w1")
    assert claimed is not None
    assert claimed.id == queued.id
    assert claimed.worker_id == "w1"
    assert runlog.claim_next("w1") is None
    cancelled = runlog.cancel_run(claimed.id, "operator stop")
    assert cancelled.status is RunStatus.CANCELLED
    assert [r.id for r in runlog.run_history(ORG)] == [queued.id]
    assert [r.id for r in runlog.last_runs(ORG)] == [queued.id]
    assert runlog.version() == f"{latest_version():04d}"


def test_caller_connection_owns_the_transaction(runlog: RunLog, admin_dsn: str) -> None:
    with psycopg.connect(admin_dsn) as conn:
        runlog.start_run(ORG, "xledger", conn=conn)
        conn.rollback()
    assert runlog.last_runs(ORG) == [], "the caller rolled back, so no run exists"


def test_run_context_ends_succeeded(runlog: RunLog) -> None:
    with runlog.run(ORG, "xledger") as run:
        run.report(processed=12)
        run.heartbeat()
    assert run.run.status is RunStatus.SUCCEEDED
    assert run.run.records_processed == 12


def test_run_context_ends_partial_when_records_failed(runlog: RunLog) -> None:
    with runlog.run(ORG, "xledger") as run:
        run.progress.add(processed=10, failed=1)
    assert run.run.status is RunStatus.PARTIAL
    assert run.run.records_failed == 1


def test_run_context_ends_failed_with_the_exception_text(runlog: RunLog) -> None:
    with pytest.raises(ConnectionError), runlog.run(ORG, "xledger") as run:
        raise ConnectionError("Xledger answered 503")
    assert run.run.status is RunStatus.FAILED
    assert run.run.error_message == "ConnectionError: Xledger answered 503"


def test_run_context_ends_cancelled_on_keyboard_interrupt(runlog: RunLog) -> None:
    with pytest.raises(KeyboardInterrupt), runlog.run(ORG, "xledger") as run:
        raise KeyboardInterrupt
    assert run.run.status is RunStatus.CANCELLED


@pytest.mark.parametrize(
    "text",
    [
        "bad\x00byte",
        b"\xff\xfeinvalid utf-8".decode("utf-8", errors="surrogateescape"),
        "lone \ud800 surrogate",
        "x" * 100_000,
    ],
    ids=["nul", "undecodable-bytes", "lone-surrogate", "100kB"],
)
def test_any_error_text_is_stored_and_the_run_ends(runlog: RunLog, text: str) -> None:
    with pytest.raises(RuntimeError), runlog.run(ORG, "xledger") as run:
        raise RuntimeError(text)
    stored = runlog.run_history(ORG)[0]
    assert stored.status is RunStatus.FAILED, "the run must never stay running"
    assert stored.error_message is not None
    assert 0 < len(stored.error_message) <= 2000
    assert "\x00" not in stored.error_message
    assert run.run.id == stored.id


def test_an_error_after_cancellation_keeps_the_original_exception(runlog: RunLog) -> None:
    with pytest.raises(ValueError, match="boom"), runlog.run(ORG, "xledger") as run:
        runlog.cancel_run(run.run.id, "operator")
        raise ValueError("boom")
    assert runlog.run_history(ORG)[0].status is RunStatus.CANCELLED


def test_success_after_cancellation_raises_not_running(runlog: RunLog) -> None:
    with pytest.raises(NotRunning), runlog.run(ORG, "xledger") as run:
        runlog.cancel_run(run.run.id, "operator")


def test_report_refuses_negative_counts(runlog: RunLog) -> None:
    with pytest.raises(ValueError, match="non-negative"), runlog.run(ORG, "xledger") as run:
        run.report(processed=-1)
    assert runlog.run_history(ORG)[0].status is RunStatus.FAILED


def test_reader_scope_never_leaks_a_claim_to_the_next_pool_user(
    dsn: str, login_role: Callable[[str], str], conn: Conn
) -> None:
    other = uuid.uuid4()
    conn.execute("SELECT runlog.start_run(%s, 'xledger')", [ORG])
    conn.execute("SELECT runlog.start_run(%s, 'xledger')", [other])
    role = login_role("runlog_reader")
    with ConnectionPool(make_conninfo(dsn, user=role), min_size=1, max_size=1, open=True) as pool:
        base = RunLog(pool)
        assert {r.org_id for r in base.for_org(ORG).last_runs()} == {ORG}
        assert {r.org_id for r in base.for_org(other).last_runs()} == {other}
        with pool.connection() as pooled:  # the same, single connection
            claims = pooled.execute("SELECT current_setting('request.jwt.claims', true)")
            assert claims.fetchone() in ((None,), ("",)), "the claim outlived its transaction"
            seen = pooled.execute("SELECT count(*) FROM runlog.sync_run_log").fetchone()
            assert seen == (0,), "an unscoped reader must see nothing"


def test_reader_scope_with_role_on_a_shared_login(
    dsn: str, login_role: Callable[[str], str], conn: Conn
) -> None:
    """Like PostgREST: one login that switches to runlog_reader per transaction."""
    conn.execute("SELECT runlog.start_run(%s, 'xledger')", [ORG])
    conn.execute("SELECT runlog.start_run(%s, 'visma')", [uuid.uuid4()])
    authenticator = login_role("runlog_reader")
    with RunLog(make_conninfo(dsn, user=authenticator)) as base:
        scoped = base.for_org(ORG, role="runlog_reader")
        assert {r.org_id for r in scoped.run_history()} == {ORG}
        with pytest.raises(PermissionDenied):
            scoped.request_sync(uuid.uuid4(), "visma")


def test_reader_scope_on_a_caller_connection(dsn: str, conn: Conn) -> None:
    conn.execute("SELECT runlog.start_run(%s, 'xledger')", [ORG])
    with RunLog(dsn) as base, psycopg.connect(dsn, autocommit=True) as own:
        runs = base.for_org(ORG).last_runs(conn=own)
        claims = own.execute("SELECT current_setting('request.jwt.claims', true)").fetchone()
    assert [r.org_id for r in runs] == [ORG]
    assert claims in ((None,), ("",))


def test_claims_are_plain_json(dsn: str) -> None:
    from pyrunlog import queries

    query = queries.set_claims(ORG, None)
    assert json.loads(query.params["claims"]) == {"org_id": str(ORG)}
