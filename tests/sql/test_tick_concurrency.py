"""Tick beside every job and operator call that may run at the same moment.

pg_cron starts prewarm, tick and the reaper in the same second, and an
operator may hold a schedule edit open at any time. For each catch-up policy
and each competitor: the competitor's call is held in an open transaction of
the runlog_admin login while tick runs in another, then committed; the next
minute's tick follows. Every slot that came is enqueued exactly once.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

import psycopg
import pytest

from tests.helpers import Conn

ORGS = [uuid.UUID(int=0x9000 + n) for n in range(4)]
KIND = "xledger"
HELD_SECONDS = 0.5

# Each competitor: its SQL (with %(at)s, %(org)s = the first organisation) and
# whether it leaves the first organisation's schedule without slots.
COMPETITORS: dict[str, tuple[str, bool]] = {
    "prewarm": ("SELECT runlog.prewarm(%(at)s)", False),
    "reaper": ("SELECT runlog.reap_stale()", False),
    "retention": ("SELECT runlog.prune()", False),
    "second tick": ("SELECT runlog.tick(%(at)s, 'competitor')", False),
    "set_schedule": (
        "SELECT runlog.set_schedule(%(org)s, 'xledger', '* * * * *', 'UTC', %(catch_up)s)",
        False,
    ),
    "enable": ("SELECT runlog.enable_schedule(%(org)s, 'xledger')", False),
    "disable": ("SELECT runlog.disable_schedule(%(org)s, 'xledger')", True),
    "delete": ("SELECT runlog.delete_schedule(%(org)s, 'xledger')", True),
}


def first_slot(admin: Conn) -> datetime:
    row = admin.execute("SELECT min(next_slot) FROM runlog.schedule_slot").fetchone()
    assert row is not None
    assert row[0] is not None
    return row[0]  # type: ignore[no-any-return]


def enqueued_slots(admin: Conn) -> Counter[tuple[uuid.UUID, datetime]]:
    rows = admin.execute(
        "SELECT org_id, scheduled_for FROM runlog.sync_run_log WHERE triggered_by = 'scheduler'"
    ).fetchall()
    return Counter((org, slot) for org, slot in rows)


def tick_while_held(
    admin_dsn: str,
    competitor_sql: str,
    params: dict[str, object],
    then: Callable[[Conn], object] | None = None,
) -> int:
    """Hold the competitor open, tick beside it, commit it; what that tick enqueued.

    `then` runs in the competitor's transaction while tick waits, before the commit.
    """
    result: list[int] = []
    errors: list[BaseException] = []
    with (
        psycopg.connect(admin_dsn) as holder,
        psycopg.connect(admin_dsn, autocommit=True) as ticker,
    ):
        holder.execute(competitor_sql, params)  # the transaction stays open

        def run_tick() -> None:
            try:
                row = ticker.execute("SELECT runlog.tick(%(at)s, 'test')", params).fetchone()
                assert row is not None
                result.append(int(row[0]))
            except BaseException as exc:  # reported in the test's thread
                errors.append(exc)

        thread = threading.Thread(target=run_tick)
        thread.start()
        thread.join(HELD_SECONDS)
        if then is not None:
            then(holder)
        holder.commit()
        thread.join(30)
    assert not errors, errors
    assert result, "tick did not return"
    return result[0]


@pytest.mark.parametrize("catch_up", ["none", "latest", "all"])
@pytest.mark.parametrize("competitor", sorted(COMPETITORS))
def test_no_slot_is_lost_or_repeated_whatever_runs_beside_tick(
    admin_dsn: str, catch_up: str, competitor: str
) -> None:
    sql, silences_first = COMPETITORS[competitor]
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        for org in ORGS:
            admin.execute(
                "SELECT runlog.set_schedule(%s, %s, '* * * * *', 'UTC', %s)", [org, KIND, catch_up]
            )
        slot = first_slot(admin)
        at = slot + timedelta(seconds=2)
        params: dict[str, object] = {"at": at, "org": ORGS[0], "catch_up": catch_up}

        tick_while_held(admin_dsn, sql, params)
        admin.execute("SELECT runlog.tick(%s, 'test')", [at + timedelta(minutes=1)])

        slots = enqueued_slots(admin)
    expected_orgs = ORGS[1:] if silences_first else ORGS
    expected = Counter(
        {(org, slot + timedelta(minutes=m)): 1 for org in expected_orgs for m in (0, 1)}
    )
    assert slots == expected


def test_an_operator_edit_that_deadlocks_with_tick_costs_one_slot_not_the_tick(
    admin_dsn: str,
) -> None:
    """One open transaction disables two schedules; tick holds the second's slot row.

    Tick waits for the first schedule (the operator holds it) while the
    operator waits for the second (tick holds its slot): a deadlock. Tick
    gives up that one wait and enqueues every other schedule; the operator's
    transaction then goes through.
    """
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        for org in ORGS:
            admin.execute("SELECT runlog.set_schedule(%s, %s, '* * * * *')", [org, KIND])
        slot = first_slot(admin)
        at = slot + timedelta(seconds=2)
        # tick now waits for ORGS[0]'s slot; the operator then asks for ORGS[1]'s
        enqueued = tick_while_held(
            admin_dsn,
            "SELECT runlog.disable_schedule(%(org)s, %(kind)s)",
            {"at": at, "org": ORGS[0], "kind": KIND},
            then=lambda holder: holder.execute(
                "SELECT runlog.disable_schedule(%s, %s)", [ORGS[1], KIND]
            ),
        )
        assert enqueued == len(ORGS) - 1
        slots = enqueued_slots(admin)
    assert slots == Counter({(org, slot): 1 for org in ORGS[1:]})
