"""Schedules, tick and its catch-up policies, pre-warm, reaper, retention, drift."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from tests.helpers import Conn, all_runs, call, sqlstate_of

ORG = uuid.UUID("00000000-0000-4000-8000-000000000008")
T0 = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)


def schedule(conn: Conn, cron: str = "*/10 * * * *", catch_up: str = "latest",
             kind: str = "xledger", next_slot: datetime = T0, **kw: object) -> None:  # fmt: skip
    call(conn, "SELECT * FROM runlog.set_schedule(%s, %s, %s, %s, %s)",
         ORG, kind, cron, kw.get("zone", "UTC"), catch_up)  # fmt: skip
    conn.execute(
        "UPDATE runlog.schedule_slot n SET next_slot = %s FROM runlog.sync_schedule s"
        " WHERE s.id = n.schedule_id AND s.org_id = %s AND s.integration_type = %s",
        [next_slot, ORG, kind],
    )


def tick(conn: Conn, at: datetime) -> int:
    row = conn.execute("SELECT runlog.tick(%s, 'test')", [at]).fetchone()
    assert row is not None
    return int(row[0])


def queued_slots(conn: Conn) -> list[datetime]:
    return [r["scheduled_for"] for r in all_runs(conn) if r["status"] == "queued"]


def next_slot(conn: Conn, kind: str = "xledger") -> datetime:
    row = conn.execute(
        "SELECT n.next_slot FROM runlog.schedule_slot n JOIN runlog.sync_schedule s"
        " ON s.id = n.schedule_id WHERE s.integration_type = %s",
        [kind],
    ).fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


def minutes(*offsets: int) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in offsets]


def test_tick_enqueues_a_due_slot_with_its_key(conn: Conn) -> None:
    schedule(conn)
    assert tick(conn, T0 + timedelta(seconds=2)) == 1
    (run,) = all_runs(conn)
    assert (run["status"], run["triggered_by"], run["scheduled_for"]) == ("queued", "scheduler", T0)
    assert run["idempotency_key"] == f"{ORG}/xledger/2026-11-20T06:00Z"
    assert next_slot(conn) == T0 + timedelta(minutes=10)


def test_tick_twice_for_the_same_minute_enqueues_nothing_more(conn: Conn) -> None:
    schedule(conn)
    tick(conn, T0)
    assert tick(conn, T0) == 0
    assert tick(conn, T0 + timedelta(seconds=59)) == 0
    assert len(all_runs(conn)) == 1


def test_tick_before_the_slot_enqueues_nothing(conn: Conn) -> None:
    schedule(conn)
    assert tick(conn, T0 - timedelta(seconds=1)) == 0


def test_catch_up_all_enqueues_every_missed_slot(conn: Conn) -> None:
    schedule(conn, catch_up="all")
    assert tick(conn, T0 + timedelta(minutes=55)) == 6
    assert queued_slots(conn) == minutes(0, 10, 20, 30, 40, 50)
    assert next_slot(conn) == T0 + timedelta(minutes=60)


def test_catch_up_all_respects_the_per_tick_bound(conn: Conn) -> None:
    conn.execute("UPDATE runlog.settings SET max_slots_per_tick = 4")
    schedule(conn, catch_up="all")
    at = T0 + timedelta(minutes=55)
    assert tick(conn, at) == 4
    assert queued_slots(conn) == minutes(0, 10, 20, 30)
    assert tick(conn, at) == 2, "the rest follows on the next tick"
    assert queued_slots(conn) == minutes(0, 10, 20, 30, 40, 50)
    assert tick(conn, at) == 0


def test_catch_up_latest_enqueues_only_the_latest_missed_slot(conn: Conn) -> None:
    schedule(conn, catch_up="latest")
    assert tick(conn, T0 + timedelta(days=3, minutes=55)) == 1
    assert queued_slots(conn) == [T0 + timedelta(days=3, minutes=50)]
    assert next_slot(conn) == T0 + timedelta(days=3, minutes=60)


def test_catch_up_latest_finds_the_latest_slot_of_a_monthly_schedule(conn: Conn) -> None:
    schedule(conn, cron="0 6 1 * *", catch_up="latest", next_slot=T0 + timedelta(days=1))
    at = datetime(2027, 3, 15, tzinfo=timezone.utc)
    assert tick(conn, at) == 1
    assert queued_slots(conn) == [datetime(2027, 3, 1, 6, tzinfo=timezone.utc)]
    assert next_slot(conn) == datetime(2027, 4, 1, 6, tzinfo=timezone.utc)


def test_catch_up_none_skips_missed_slots(conn: Conn) -> None:
    schedule(conn, catch_up="none")
    assert tick(conn, T0 + timedelta(minutes=58)) == 0, "the latest slot is 8 minutes old"
    assert next_slot(conn) == T0 + timedelta(minutes=60)
    assert tick(conn, T0 + timedelta(minutes=60, seconds=3)) == 1, "an on-time slot runs"


def test_a_disabled_schedule_enqueues_nothing(conn: Conn) -> None:
    schedule(conn)
    call(conn, "SELECT * FROM runlog.disable_schedule(%s, 'xledger')", ORG)
    assert tick(conn, T0 + timedelta(hours=1)) == 0


def test_enabling_again_skips_slots_passed_while_disabled(conn: Conn) -> None:
    schedule(conn)
    call(conn, "SELECT * FROM runlog.disable_schedule(%s, 'xledger')", ORG)
    row = call(conn, "SELECT * FROM runlog.enable_schedule(%s, 'xledger')", ORG)
    assert row["enabled"]
    assert row["next_slot"] > datetime.now(timezone.utc)


def test_tick_notifies_once_per_integration_type(dsn: str, conn: Conn) -> None:
    schedule(conn, catch_up="all")
    schedule(conn, catch_up="all", kind="visma")
    with psycopg.connect(dsn, autocommit=True) as listener:
        listener.execute("LISTEN runlog_queued")
        assert tick(conn, T0 + timedelta(minutes=25)) == 6
        payloads = [n.payload for n in listener.notifies(timeout=1)]
    assert sorted(payloads) == ["visma", "xledger"]


def test_a_period_already_queued_by_hand_is_not_enqueued_again(conn: Conn) -> None:
    schedule(conn)
    key = f"{ORG}/xledger/2026-11-20T06:00Z"
    call(conn, "SELECT * FROM runlog.request_sync(%s, 'xledger', 'manual', NULL, %s)", ORG, key)
    assert tick(conn, T0) == 0
    assert len(all_runs(conn)) == 1


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (("bad cron", "UTC", "latest"), "cron"),
        (("* * * * *", "Mars/Base", "latest"), "zone"),
        (("* * * * *", "UTC+3", "latest"), "posix zone"),
        (("* * * * *", "UTC", "sometimes"), "catch_up"),
        (("0 0 30 2 *", "UTC", "latest"), "never fires"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_set_schedule_validates_on_write(conn: Conn, args: tuple[str, str, str], what: str) -> None:
    state = sqlstate_of(conn, "SELECT runlog.set_schedule(%s, 'xledger', %s, %s, %s)", ORG, *args)
    assert state == "22023", what
    assert conn.execute("SELECT count(*) FROM runlog.sync_schedule").fetchone() == (0,)


def test_set_schedule_replaces_and_restarts_from_now(conn: Conn) -> None:
    schedule(conn)
    row = call(conn, "SELECT * FROM runlog.set_schedule(%s, 'xledger', '0 6 * * *', "
                     "'Europe/Oslo', 'all', '5 minutes')", ORG)  # fmt: skip
    assert (row["cron"], row["time_zone"], row["catch_up"]) == ("0 6 * * *", "Europe/Oslo", "all")
    assert row["next_slot"] > datetime.now(timezone.utc)
    assert conn.execute("SELECT count(*) FROM runlog.sync_schedule").fetchone() == (1,)


def test_unknown_schedules_raise_not_found(conn: Conn) -> None:
    for function in ("enable_schedule", "disable_schedule", "delete_schedule"):
        assert sqlstate_of(conn, f"SELECT runlog.{function}(%s, 'nope')", ORG) == "RL004"


def test_prewarm_signals_each_slot_once_within_its_lead(dsn: str, conn: Conn) -> None:
    schedule(conn)
    conn.execute("UPDATE runlog.sync_schedule SET prewarm_lead = '2 minutes'")
    with psycopg.connect(dsn, autocommit=True) as listener:
        listener.execute("LISTEN runlog_prewarm")
        assert conn.execute(
            "SELECT runlog.prewarm(%s)", [T0 - timedelta(minutes=3)]
        ).fetchone() == (0,)
        assert conn.execute(
            "SELECT runlog.prewarm(%s)", [T0 - timedelta(minutes=2)]
        ).fetchone() == (1,)
        assert conn.execute(
            "SELECT runlog.prewarm(%s)", [T0 - timedelta(minutes=1)]
        ).fetchone() == (0,)
        payloads = [n.payload for n in listener.notifies(timeout=1)]
    assert payloads == ["xledger"], "the integration type only: workers claim the rest"
    planned = conn.execute("SELECT slot FROM runlog.schedule_prewarm").fetchone()
    assert planned == (T0,)


def test_cold_starts_lists_runs_started_without_a_successful_prewarm(conn: Conn) -> None:
    schedule(conn, catch_up="all")
    tick(conn, T0 + timedelta(minutes=25))  # slots 0, 10, 20
    conn.execute("SELECT runlog.record_prewarm(%s, 'xledger', %s, true, 40)", [ORG, T0])
    conn.execute("SELECT runlog.record_prewarm(%s, 'xledger', %s, false, 900, 'HTTP 503')",
                 [ORG, T0 + timedelta(minutes=10)])  # fmt: skip
    split = T0 + timedelta(minutes=5)
    conn.execute("UPDATE runlog.sync_run_log SET status = 'running', started_at = now(),"
                 " heartbeat_at = now() WHERE scheduled_for < %s", [split])  # fmt: skip
    conn.execute("UPDATE runlog.sync_run_log SET status = 'failed', started_at = now(),"
                 " ended_at = now() WHERE scheduled_for >= %s", [split])  # fmt: skip
    cold = [r[0] for r in conn.execute("SELECT scheduled_for FROM runlog.cold_starts ORDER BY 1")]
    assert cold == minutes(10, 20), "slot 0 was pre-warmed; 10 failed its pre-warm; 20 had none"


def test_drift_alerts_list_runs_that_started_late(conn: Conn) -> None:
    late = T0 - timedelta(minutes=7)
    call(
        conn,
        "SELECT * FROM runlog.start_run(%s, 'xledger', 'scheduler', now() - interval '7 minutes')",
        ORG,
    )
    call(
        conn,
        "SELECT * FROM runlog.start_run(%s, 'visma', 'scheduler', now() - interval '2 minutes')",
        ORG,
    )
    call(conn, "SELECT * FROM runlog.start_run(%s, 'tripletex')", ORG)
    alerts = conn.execute(
        "SELECT integration_type, drift_seconds FROM runlog.drift_alerts"
    ).fetchall()
    assert [a[0] for a in alerts] == ["xledger"]
    assert 419 < alerts[0][1] < 425
    assert late < T0


def test_a_late_start_notifies_the_alert_channel(dsn: str, conn: Conn) -> None:
    with psycopg.connect(dsn, autocommit=True) as listener:
        listener.execute("LISTEN runlog_alert")
        call(
            conn,
            "SELECT * FROM runlog.start_run(%s, 'xledger', 'scheduler',"
            " now() - interval '6 minutes')",
            ORG,
        )
        call(
            conn,
            "SELECT * FROM runlog.start_run(%s, 'visma', 'scheduler', now() - interval '1 minute')",
            ORG,
        )
        payloads = [n.payload for n in listener.notifies(timeout=1)]
    assert payloads == ["drift"], "the kind only: workers read the alert from the database"
    alerts = conn.execute("SELECT kind, org_id, integration_type FROM runlog.alert_log").fetchall()
    assert alerts == [("drift", ORG, "xledger")]


def test_reaper_times_out_a_run_whose_heartbeat_went_stale_and_requeues_its_period(
    conn: Conn,
) -> None:
    # T0's next slot is long past: only a policy that retries past it re-queues.
    conn.execute("UPDATE runlog.retry_policy SET retry_past_next_slot = true")
    schedule(conn)
    tick(conn, T0)
    claimed = call(conn, "SELECT * FROM runlog.claim_next('dead-worker')")
    conn.execute("UPDATE runlog.sync_run_log SET heartbeat_at = now() - interval '11 minutes'"
                 " WHERE id = %s", [claimed["id"]])  # fmt: skip
    assert conn.execute("SELECT runlog.reap_stale()").fetchone() == (1,)
    runs = all_runs(conn)
    assert [r["status"] for r in runs] == ["timed_out", "queued"]
    assert (runs[0]["failure_type"], runs[0]["retry_decision"]) == ("heartbeat_timeout", "retry")
    assert "no heartbeat since" in runs[0]["error_message"]
    assert "dead-worker" in runs[0]["error_message"]
    assert runs[1]["idempotency_key"] == claimed["idempotency_key"]
    assert (runs[1]["attempt"], runs[1]["retry_of"]) == (2, claimed["id"])
    assert runs[1]["scheduled_for"] == T0


def test_reaper_does_not_retry_a_period_whose_next_slot_has_come(conn: Conn) -> None:
    schedule(conn)
    tick(conn, T0)
    call(conn, "SELECT * FROM runlog.claim_next('w')")
    conn.execute("UPDATE runlog.sync_run_log SET heartbeat_at = now() - interval '1 hour'")
    conn.execute("SELECT runlog.reap_stale()")
    runs = all_runs(conn)
    assert [(r["status"], r["retry_decision"]) for r in runs] == [("timed_out", "window_closed")]


def test_reaper_leaves_fresh_runs_alone(conn: Conn) -> None:
    call(conn, "SELECT * FROM runlog.start_run(%s, 'xledger')", ORG)
    assert conn.execute("SELECT runlog.reap_stale()").fetchone() == (0,)


def test_reaper_gives_up_on_a_period_after_max_attempts(conn: Conn) -> None:
    conn.execute("UPDATE runlog.retry_policy SET max_attempts = 2, retry_past_next_slot = true")
    schedule(conn)
    tick(conn, T0)
    for _ in range(2):
        conn.execute("UPDATE runlog.sync_run_log SET run_after = now() WHERE status = 'queued'")
        call(conn, "SELECT * FROM runlog.claim_next('w')")
        conn.execute("UPDATE runlog.sync_run_log SET heartbeat_at = now() - interval '1 hour'"
                     " WHERE status = 'running'")  # fmt: skip
        conn.execute("SELECT runlog.reap_stale()")
    runs = all_runs(conn)
    assert [(r["status"], r["attempt"]) for r in runs] == [("timed_out", 1), ("timed_out", 2)]
    assert runs[1]["retry_decision"] == "exhausted"


def test_prune_deletes_old_ended_runs_but_keeps_the_latest_per_integration(conn: Conn) -> None:
    conn.execute("UPDATE runlog.settings SET retention_batch = 100")
    conn.execute(
        "INSERT INTO runlog.sync_run_log (org_id, integration_type, status, triggered_by,"
        " queued_at, started_at, ended_at)"
        " SELECT %s, kind, 'succeeded', 'manual', t, t, t + interval '1 minute'"
        " FROM unnest(ARRAY['xledger', 'visma']) AS kind,"
        " generate_series(now() - interval '200 days', now() - interval '100 days',"
        " interval '1 day') t",
        [ORG],
    )
    recent = call(conn, "SELECT * FROM runlog.start_run(%s, 'xledger')", ORG)
    deleted = conn.execute("SELECT runlog.prune()").fetchone()
    assert deleted == (201,), "101 old xledger runs and 100 of 101 old visma runs"
    kept = {(r["integration_type"], r["status"]) for r in all_runs(conn)}
    assert kept == {("visma", "succeeded"), ("xledger", "running")}
    assert any(r["id"] == recent["id"] for r in all_runs(conn))


def test_install_cron_jobs_without_pg_cron_says_so(conn: Conn) -> None:
    with pytest.raises(psycopg.Error) as info:
        conn.execute("SELECT * FROM runlog.install_cron_jobs()")
    assert info.value.sqlstate == "55000"
    assert "pg_cron is loaded but runs its jobs in database pyrunlog" in str(info.value)


def test_maintain_lets_one_driver_through_at_a_time(dsn: str, conn: Conn) -> None:
    schedule(conn)
    conn.execute("UPDATE runlog.sync_schedule SET prewarm_lead = '0'")  # no pre-warm due
    with psycopg.connect(dsn) as first, psycopg.connect(dsn) as second:
        got_first = first.execute("SELECT * FROM runlog.maintain('a')").fetchall()
        got_second = second.execute("SELECT * FROM runlog.maintain('b')").fetchall()
        first.commit()
        second.commit()
    assert got_first == [(1, 0, 0)]
    assert got_second == [], "the second driver must wait its turn"
    status = conn.execute("SELECT driver, last_tick_by FROM runlog.scheduler_status()").fetchone()
    assert status == ("worker", "worker:a")


def test_one_worker_claims_the_prewarm_of_a_slot(conn: Conn) -> None:
    slot = datetime.now(timezone.utc).replace(second=0, microsecond=0) + timedelta(minutes=1)
    schedule(conn, cron="* * * * *", next_slot=slot)
    conn.execute("UPDATE runlog.sync_schedule SET prewarm_lead = '2 minutes'")
    conn.execute("SELECT runlog.prewarm()")
    claims = [
        conn.execute(
            "SELECT runlog.claim_prewarm(%s, 'xledger', %s, %s)", [ORG, slot, w]
        ).fetchone()
        for w in ("w1", "w2", "w3")
    ]
    assert claims == [(True,), (False,), (False,)]
    conn.execute(
        "SELECT runlog.record_prewarm(%s, 'xledger', %s, true, 12, NULL, 'w1')", [ORG, slot]
    )
    row = conn.execute("SELECT ok, latency_ms, worker_id FROM runlog.prewarm_log").fetchall()
    assert row == [(True, 12, "w1")]


def test_prewarm_signals_the_next_slot_even_before_this_minutes_tick(dsn: str, conn: Conn) -> None:
    """pg_cron starts prewarm and tick at once: prewarm must not depend on tick running first."""
    schedule(conn, cron="* * * * *")  # next_slot = T0, not yet advanced by a tick
    with psycopg.connect(dsn, autocommit=True) as listener:
        listener.execute("LISTEN runlog_prewarm")
        signalled = conn.execute("SELECT runlog.prewarm(%s)", [T0 + timedelta(milliseconds=50)])
        assert signalled.fetchone() == (1,)
        payloads = [n.payload for n in listener.notifies(timeout=1)]
    assert payloads == ["xledger"]
    planned = conn.execute("SELECT slot FROM runlog.schedule_prewarm").fetchone()
    assert planned == (T0 + timedelta(minutes=1),)
