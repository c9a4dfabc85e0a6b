"""request_sync by a tenant: manual, now, and once per integration however often it asks."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from pyrunlog import RunLog
from tests.helpers import Conn, all_runs, connect_as, sqlstate_of
from tests.security.conftest import HOME, VICTIM


@pytest.fixture(autouse=True)
def scheduled(runlog: RunLog) -> None:
    """Readers request syncs of integrations their organisation has a schedule for."""
    for kind in ("xledger", "visma", "tripletex"):
        runlog.set_schedule(HOME, kind, "0 3 * * *")


def queued_manual(conn: Conn) -> dict[tuple[object, str], int]:
    rows = conn.execute(
        "SELECT org_id, integration_type, count(*) FROM runlog.sync_run_log"
        " WHERE status = 'queued' AND triggered_by = 'manual' GROUP BY 1, 2"
    ).fetchall()
    return {(org, kind): int(n) for org, kind, n in rows}


def test_500_requests_by_a_reader_queue_one_run_per_integration(
    dsn: str, conn: Conn, login_role: Callable[[str], str], tenant: Conn
) -> None:
    ids = {
        tenant.execute("SELECT (runlog.request_sync(%s, %s)).id", [HOME, kind]).fetchone()
        for _ in range(250)
        for kind in ("xledger", "visma")
    }
    assert len(ids) == 2, "each repeated request returned the queued run"

    login = login_role("runlog_reader")
    errors: list[BaseException] = []

    def hammer() -> None:
        try:
            with connect_as(dsn, login, HOME) as reader:
                for _ in range(25):
                    reader.execute("SELECT runlog.request_sync(%s, 'tripletex')", [HOME])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert queued_manual(conn) == {
        (HOME, "xledger"): 1,
        (HOME, "visma"): 1,
        (HOME, "tripletex"): 1,
    }


def test_a_new_request_queues_again_once_the_queued_run_started(
    conn: Conn, tenant: Conn, runlog: RunLog
) -> None:
    first = tenant.execute("SELECT (runlog.request_sync(%s, 'visma')).id", [HOME]).fetchone()
    claimed = runlog.claim_next("w1", ["visma"])
    assert claimed is not None
    assert (claimed.id,) == first
    second = tenant.execute("SELECT (runlog.request_sync(%s, 'visma')).id", [HOME]).fetchone()
    assert second != first, "a run already started does not answer a new request"


def test_a_reader_cannot_backdate_or_pose_as_the_scheduler(conn: Conn, tenant: Conn) -> None:
    before = all_runs(conn)
    backdated = datetime.now(timezone.utc) - timedelta(days=3650)
    later = datetime.now(timezone.utc) + timedelta(days=1)
    for args in (
        (HOME, "xledger", "manual", backdated, None),
        (HOME, "xledger", "manual", later, None),
        (HOME, "xledger", "scheduler", None, None),
        (HOME, "xledger", "scheduler", backdated, "period-1"),
        (HOME, "xledger", "manual", None, "period-1"),
    ):
        assert sqlstate_of(tenant, "SELECT runlog.request_sync(%s, %s, %s, %s, %s)", *args) == (
            "42501"
        ), args
    assert all_runs(conn) == before


def test_a_bound_login_is_bounded_the_same_way(
    dsn: str, conn: Conn, bound_login: Callable[..., str]
) -> None:
    with connect_as(dsn, bound_login(HOME), VICTIM) as tenant:
        backdated = datetime.now(timezone.utc) - timedelta(days=3650)
        sql = "SELECT runlog.request_sync(%s, 'xledger', 'manual', %s)"
        assert sqlstate_of(tenant, sql, HOME, backdated) == "42501"
        for _ in range(20):
            tenant.execute("SELECT runlog.request_sync(%s, 'xledger')", [HOME])
    assert queued_manual(conn) == {(HOME, "xledger"): 1}


def test_operators_keep_the_full_function(admin_dsn: str, conn: Conn) -> None:
    slot = datetime.now(timezone.utc) - timedelta(hours=1)
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        for key in ("p1", "p2"):
            admin.execute(
                "SELECT runlog.request_sync(%s, 'xledger', 'scheduler', %s, %s)",
                [VICTIM, slot, key],
            )
        admin.execute("SELECT runlog.request_sync(%s, 'xledger')", [VICTIM])
        admin.execute("SELECT runlog.request_sync(%s, 'xledger')", [VICTIM])
    rows = conn.execute(
        "SELECT triggered_by, scheduled_for IS NOT NULL FROM runlog.sync_run_log ORDER BY id"
    ).fetchall()
    assert rows == [("scheduler", True), ("scheduler", True), ("manual", False), ("manual", False)]


def test_a_reader_requests_only_integrations_its_organisation_schedules(
    conn: Conn, tenant: Conn
) -> None:
    """30,000 junk types would queue 30,000 runs no worker claims: each is refused."""
    before = all_runs(conn)
    for kind in ("junk_1", "junk_2", "xledger2"):
        assert sqlstate_of(tenant, "SELECT runlog.request_sync(%s, %s)", HOME, kind) == "42501"
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
        tenant.execute("SELECT runlog.request_sync(%s, 'junk_3')", [HOME])
    assert "has no schedule for integration 'junk_3'" in str(refused.value)
    assert refused.value.diag.message_hint is not None
    assert "set_schedule" in refused.value.diag.message_hint
    assert all_runs(conn) == before
