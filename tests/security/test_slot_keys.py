"""A tenant cannot squat a scheduled slot's idempotency key, and no held key stops tick for all."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import psycopg

from pyrunlog import RunLog
from tests.helpers import Conn, connect_as, sqlstate_of
from tests.security.conftest import HOME, VICTIM

SLOT = datetime(2026, 11, 29, 6, 0, tzinfo=timezone.utc)


def scheduled_slots(conn: Conn) -> set[tuple[object, datetime]]:
    rows = conn.execute(
        "SELECT org_id, scheduled_for FROM runlog.sync_run_log WHERE triggered_by = 'scheduler'"
    ).fetchall()
    return {(org, slot) for org, slot in rows}


def schedule_both(runlog: RunLog, conn: Conn) -> None:
    """Both organisations sync xledger hourly; their next slot is SLOT."""
    for org in (HOME, VICTIM):
        runlog.set_schedule(org, "xledger", "0 * * * *")
    conn.execute("UPDATE runlog.schedule_slot SET next_slot = %s", [SLOT])


def tick_beside_held_key(admin_dsn: str, runlog: RunLog, held_for: float, commit: bool) -> int:
    """Hold HOME's slot key in an operator's open run, tick beside it, end the holder.

    The holder ends after `held_for` seconds (committed or rolled back); the
    number tick enqueued is returned once it is done.
    """
    done: list[int] = []
    errors: list[BaseException] = []

    def tick() -> None:
        try:
            done.append(runlog.tick(SLOT + timedelta(minutes=1)))
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)

    with psycopg.connect(admin_dsn) as holder:
        holder.execute(
            "SELECT runlog.request_sync(%s, 'xledger', 'manual', NULL,"
            " runlog.slot_key(%s, 'xledger', %s))",
            [HOME, HOME, SLOT],
        )
        thread = threading.Thread(target=tick)
        thread.start()
        thread.join(timeout=held_for)
        if commit:
            holder.commit()
        else:
            holder.rollback()
        thread.join(timeout=30)
    assert errors == []
    assert len(done) == 1, "tick did not return"
    return done[0]


def test_a_reader_may_not_choose_an_idempotency_key(
    conn: Conn, runlog: RunLog, tenant: Conn
) -> None:
    schedule_both(runlog, conn)
    squat = (
        "SELECT runlog.request_sync(runlog.current_org_id(), 'xledger', idempotency_key =>"
        " runlog.slot_key(runlog.current_org_id(), 'xledger', %s))"
    )
    assert sqlstate_of(tenant, squat, SLOT) == "42501"
    keyed = "SELECT runlog.request_sync(%s, 'xledger', 'manual', NULL, 'k')"
    assert sqlstate_of(tenant, keyed, HOME) == "42501"
    assert conn.execute("SELECT count(*) FROM runlog.sync_run_log").fetchone() == (0,)


def test_a_key_held_by_an_open_transaction_delays_only_its_own_slot(
    admin_dsn: str, conn: Conn, runlog: RunLog
) -> None:
    """An operator's uncommitted run holding a slot's key: the other slots are enqueued."""
    schedule_both(runlog, conn)
    # tick gives up on the held key after its lock_timeout, long before 30 s
    enqueued = tick_beside_held_key(admin_dsn, runlog, held_for=30, commit=False)
    assert enqueued == 1, "the victim's slot was enqueued while HOME's key is held"
    assert scheduled_slots(conn) == {(VICTIM, SLOT)}
    assert runlog.tick(SLOT + timedelta(minutes=2)) == 1, "the held slot comes on the next tick"
    assert scheduled_slots(conn) == {(VICTIM, SLOT), (HOME, SLOT)}


def load_hourly_schedules(conn: Conn, orgs: list[uuid.UUID]) -> None:
    """Hourly xledger schedules for `orgs`, due at SLOT, loaded in bulk by the superuser.

    set_schedule one by one would take minutes for thousands of schedules.
    """
    conn.execute(
        "WITH s AS (INSERT INTO runlog.sync_schedule (org_id, integration_type, cron, cron_spec)"
        " SELECT o, 'xledger', '0 * * * *', runlog.parse_cron('0 * * * *')"
        " FROM unnest(%s::uuid[]) AS o RETURNING id)"
        " INSERT INTO runlog.schedule_slot (schedule_id, next_slot) SELECT id, %s FROM s",
        [orgs, SLOT],
    )
    conn.execute("ANALYZE runlog.sync_schedule")


def tick_beside_held_slot_keys(
    worker_dsn: str, runlog: RunLog, held: list[uuid.UUID]
) -> tuple[int, float]:
    """A worker's open transaction starts a run under each held org's slot key; tick beside it.

    Returns what tick enqueued and how many seconds it took; the holder then
    rolls back.
    """
    with psycopg.connect(worker_dsn) as holder:
        for org in held:
            holder.execute(
                "SELECT runlog.start_run(%s, 'xledger', 'scheduler', %s,"
                " runlog.slot_key(%s, 'xledger', %s))",
                [org, SLOT, org, SLOT],
            )
        started = time.monotonic()
        enqueued = runlog.tick(SLOT + timedelta(minutes=1))
        elapsed = time.monotonic() - started
        holder.rollback()
    return enqueued, elapsed


def test_keys_held_for_many_slots_delay_tick_five_seconds_in_all(
    worker_dsn: str, conn: Conn, runlog: RunLog
) -> None:
    """A worker holds 1,000 slots' keys in one open transaction: tick waits 5 s in all.

    Waiting 5 s for each held key let four keys hold every organisation's
    tick past the next minute's (21 s); a short wait for each after the
    first 5 s still took a second per hundred held.
    """
    orgs = [uuid.uuid4() for _ in range(1002)]
    load_hourly_schedules(conn, orgs)
    enqueued, elapsed = tick_beside_held_slot_keys(worker_dsn, runlog, orgs[:1000])
    assert enqueued == 2, "the two slots nobody holds are enqueued"
    # 5 s waiting for the first held schedule; the others are skipped at once
    assert elapsed < 12, f"tick took {elapsed:.1f} s"
    assert runlog.tick(SLOT + timedelta(minutes=2)) == 1000, "the held slots come next tick"


def test_a_held_key_keeps_tick_set_based_for_the_other_organisations(
    worker_dsn: str, conn: Conn, runlog: RunLog
) -> None:
    """20,000 schedules due and one key held: the others go in one statement.

    A held key used to make tick's set-based INSERT wait, give up after 1 s
    and enqueue all 20,000 schedule by schedule (100 s; minutes at 100,000).
    Now the key's run holds its organisation's slot rows, which the
    set-based step skips; tick waits for that organisation alone.
    """
    orgs = [HOME] + [uuid.uuid4() for _ in range(19_999)]
    load_hourly_schedules(conn, orgs)
    enqueued, elapsed = tick_beside_held_slot_keys(worker_dsn, runlog, [HOME])
    assert enqueued == 19_999
    # 5 s waiting for HOME, then its slot waits for the next tick
    assert elapsed < 15, f"tick took {elapsed:.1f} s"
    assert runlog.tick(SLOT + timedelta(minutes=2)) == 1, "HOME's slot comes on the next tick"


def test_a_key_of_another_shape_holds_no_schedule(
    worker_dsn: str, conn: Conn, runlog: RunLog
) -> None:
    """Only a slot-shaped key holds its schedule's slot row: other keys block no edit."""
    schedule_both(runlog, conn)
    with psycopg.connect(worker_dsn) as holder:
        holder.execute(
            "SELECT runlog.start_run(%s, 'xledger', 'manual', NULL, 'ops-backfill-42')", [HOME]
        )
        # would wait for the holder and fail after set_schedule's 5 s lock_timeout
        runlog.set_schedule(HOME, "xledger", "30 * * * *")
        assert runlog.tick(SLOT + timedelta(minutes=1)) == 1, "HOME's schedule changed: VICTIM's"
        holder.rollback()


def test_a_reader_retrying_a_period_run_ahead_holds_its_slot_row(
    admin_dsn: str, conn: Conn, runlog: RunLog, tenant: Conn
) -> None:
    """retry_period of a dead period still ahead of tick holds that schedule's slot row.

    Otherwise the reader's open transaction would make tick's set-based INSERT
    wait for the key and fall back to one schedule at a time. A period tick
    already passed holds nothing (a reader could hold tick up every minute).
    Reading the lock needs the superuser (no role may lock schedule_slot rows).
    """
    schedule_both(runlog, conn)  # next slot 06:00
    held = (
        "SELECT n.schedule_id FROM runlog.schedule_slot AS n"
        " JOIN runlog.sync_schedule AS s ON s.id = n.schedule_id"
        " WHERE s.org_id = %s FOR NO KEY UPDATE OF n SKIP LOCKED"
    )
    for slot, holds in (("05:00", False), ("06:00", True)):
        key = f"{HOME}/xledger/2026-11-29T{slot}Z"
        runlog.cancel_run(runlog.request_sync(HOME, "xledger", idempotency_key=key).id)
        tenant.execute("BEGIN")
        tenant.execute("SELECT runlog.retry_period(runlog.current_org_id(), %s)", [key])
        with conn.transaction():
            free = conn.execute(held, [HOME]).fetchall()
            assert (free == []) == holds, f"retrying the {slot} period holds HOME's slot: {holds}"
            assert len(conn.execute(held, [VICTIM]).fetchall()) == 1, "VICTIM's is never held"
        tenant.execute("ROLLBACK")


def test_a_period_an_operator_ran_ahead_is_not_enqueued_again(conn: Conn, runlog: RunLog) -> None:
    """A live run already has HOME's slot key: tick enqueues the others and moves HOME on.

    Tick's set-based INSERT is plain (no ON CONFLICT); the live key makes it
    fail and tick asks again, skipping live keys. The slot must not be left
    behind either, or every later tick would meet the same key.
    """
    schedule_both(runlog, conn)
    ahead = runlog.request_sync(
        HOME, "xledger", idempotency_key=f"{HOME}/xledger/2026-11-29T06:00Z"
    )
    assert runlog.tick(SLOT + timedelta(seconds=1)) == 1
    assert scheduled_slots(conn) == {(VICTIM, SLOT)}
    keys = conn.execute(
        "SELECT id FROM runlog.sync_run_log"
        " WHERE idempotency_key = runlog.slot_key(%s, 'xledger', %s)",
        [HOME, SLOT],
    ).fetchall()
    assert keys == [(ahead.id,)], "HOME's period has its one run, the operator's"
    assert conn.execute(
        "SELECT count(*) FROM runlog.schedule_slot WHERE next_slot = %s",
        [SLOT + timedelta(hours=1)],
    ).fetchone() == (2,)


def test_a_key_committed_while_tick_waits_is_not_enqueued_twice(
    admin_dsn: str, conn: Conn, runlog: RunLog
) -> None:
    """The key's transaction commits while tick's INSERT waits for it: no second run."""
    schedule_both(runlog, conn)
    # tick's INSERT waits for the holder's key, which commits after 0.5 s
    assert tick_beside_held_key(admin_dsn, runlog, held_for=0.5, commit=True) == 1
    assert scheduled_slots(conn) == {(VICTIM, SLOT)}
    assert runlog.tick(SLOT + timedelta(minutes=2)) == 0, "HOME's slot is not enqueued later either"
    assert conn.execute(
        "SELECT count(*) FROM runlog.sync_run_log"
        " WHERE idempotency_key = runlog.slot_key(%s, 'xledger', %s)",
        [HOME, SLOT],
    ).fetchone() == (1,)


def test_the_attack_as_reported(
    dsn: str, conn: Conn, runlog: RunLog, login_role: Callable[[str], str]
) -> None:
    """A reader's open transaction beside tick: other organisations' slots are enqueued."""
    schedule_both(runlog, conn)
    with connect_as(dsn, login_role("runlog_reader"), HOME) as reader:
        reader.execute("BEGIN")
        sqlstate_of(
            reader,
            "SELECT runlog.request_sync(runlog.current_org_id(), 'xledger',"
            " idempotency_key => runlog.slot_key(runlog.current_org_id(), 'xledger', %s))",
            SLOT,
        )
        assert runlog.tick(SLOT + timedelta(minutes=1)) >= 1
        assert (VICTIM, SLOT) in scheduled_slots(conn)
