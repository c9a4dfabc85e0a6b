"""Retries: failure types, attempts, backoff, windows, holds, health, auto-pause, retry_period.

Every call goes through a LOGIN role holding one documented role. Time is
moved by the superuser ``conn`` only (``make_due``, ``end_holds``): the
functions themselves take no caller-chosen times.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.helpers import Conn, all_runs, connect_as, sqlstate_of

ORG = uuid.UUID("00000000-0000-4000-8000-000000000012")
OTHER_ORG = uuid.UUID("00000000-0000-4000-8000-000000000013")


@pytest.fixture
def worker(worker_dsn: str) -> Iterator[Conn]:
    with psycopg.connect(worker_dsn, autocommit=True, row_factory=dict_row) as connection:
        yield connection


@pytest.fixture
def admin(admin_dsn: str) -> Iterator[Conn]:
    with psycopg.connect(admin_dsn, autocommit=True, row_factory=dict_row) as connection:
        yield connection


def rows(conn: Conn, sql: str, *params: Any) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def request(conn: Conn, key: str, org: uuid.UUID = ORG, kind: str = "xledger") -> int:
    row = rows(
        conn, "SELECT * FROM runlog.request_sync(%s, %s, 'manual', NULL, %s)", org, kind, key
    )
    return int(row[0]["id"])


def claim(conn: Conn) -> dict[str, Any] | None:
    row = rows(conn, "SELECT * FROM runlog.claim_next('w')")[0]
    return None if row["id"] is None else row


def request_and_claim(conn: Conn, key: str) -> dict[str, Any]:
    """Queue a period and claim its first attempt."""
    request(conn, key)
    run = claim(conn)
    assert run is not None
    return run


def fail(
    conn: Conn, run_id: int, failure_type: str, retry_after: float | None = None
) -> list[dict[str, Any]]:
    return rows(
        conn,
        "SELECT * FROM runlog.fail_run(%s, %s, 'boom', %s)",
        run_id,
        failure_type,
        retry_after,
    )


def make_due(conn: Conn) -> None:
    """The test's clock: queued retries fall due now (superuser: workers choose no time)."""
    conn.execute(
        "UPDATE runlog.sync_run_log SET run_after = now() WHERE status = 'queued'"
        " AND run_after > now()"
    )


def end_holds(conn: Conn) -> None:
    """The test's clock: rate-limit holds end now (superuser, like make_due)."""
    conn.execute("UPDATE runlog.integration_holds SET held_until = now()")


def period(conn: Conn, key: str) -> dict[str, Any]:
    return rows(conn, "SELECT * FROM runlog.sync_periods WHERE idempotency_key = %s", key)[0]


def test_backoff_is_30_90_270_seconds_within_jitter_then_the_period_is_dead(
    conn: Conn, worker: Conn
) -> None:
    request(worker, "p")
    for attempt, base in ((1, 30), (2, 90), (3, 270)):
        make_due(conn)
        run = claim(worker)
        assert run is not None
        assert run["attempt"] == attempt
        with worker.transaction():  # now() is the failure's clock
            failed, retry = fail(worker, run["id"], "transient_error")
            delay = rows(worker, "SELECT extract(epoch FROM %s - now()) AS s", retry["run_after"])
        assert (failed["status"], failed["failure_type"]) == ("failed", "transient_error")
        assert failed["retry_decision"] == "retry"
        assert (retry["status"], retry["attempt"], retry["retry_of"]) == (
            "queued",
            attempt + 1,
            run["id"],
        )
        assert base * 0.9 <= float(delay[0]["s"]) <= base * 1.1
        assert claim(worker) is None  # not served before its time
    make_due(conn)
    run = claim(worker)
    assert run is not None
    assert run["attempt"] == 4
    (failed,) = fail(worker, run["id"], "transient_error")
    assert failed["retry_decision"] == "exhausted"
    assert period(conn, "p")["state"] == "dead"
    assert period(conn, "p")["attempts"] == 4


def test_the_delay_is_capped_and_the_exponent_cannot_overflow(conn: Conn, admin: Conn) -> None:
    admin.execute(
        "UPDATE runlog.retry_policy SET max_attempts = 100, backoff_factor = 10,"
        " max_delay = interval '30 minutes', jitter = 0"
    )
    row = conn.execute(
        "SELECT extract(epoch FROM runlog._retry_delay(p, 99)) FROM runlog.retry_policy AS p"
    ).fetchone()
    assert row is not None
    assert float(row[0]) == 1800.0


@pytest.mark.parametrize("failure_type", ["auth_error", "config_error"])
def test_auth_and_config_errors_make_the_period_dead_at_once(
    worker: Conn, failure_type: str
) -> None:
    run = request_and_claim(worker, "p")
    (failed,) = fail(worker, run["id"], failure_type)
    assert (failed["failure_type"], failed["retry_decision"]) == (failure_type, "not_retryable")
    assert period(worker, "p")["state"] == "dead"
    assert period(worker, "p")["dead_because"] == "not_retryable"


def test_finish_run_failed_is_a_system_error_that_is_retried(worker: Conn) -> None:
    run = request_and_claim(worker, "p")
    failed = rows(worker, "SELECT * FROM runlog.finish_run(%s, 'failed', 1, 2, 'bug')", run["id"])
    assert (failed[0]["status"], failed[0]["failure_type"]) == ("failed", "system_error")
    assert period(worker, "p")["state"] == "retry_pending"


def test_partial_and_runs_without_a_period_are_not_retried(conn: Conn, worker: Conn) -> None:
    run = request_and_claim(worker, "p")
    rows(worker, "SELECT * FROM runlog.finish_run(%s, 'partial', 5, 1)", run["id"])
    assert period(worker, "p")["state"] == "succeeded"
    no_key = rows(worker, "SELECT * FROM runlog.start_run(%s, 'visma')", ORG)[0]
    (failed,) = fail(worker, no_key["id"], "transient_error")
    assert failed["retry_decision"] == "no_period"
    assert [r["status"] for r in all_runs(conn)] == ["partial", "failed"]


def test_rate_limited_waits_retry_after_holds_the_integration_and_uses_no_attempt(
    conn: Conn, worker: Conn
) -> None:
    run = request_and_claim(worker, "p")
    request(worker, "other-period")
    request(worker, "elsewhere", org=OTHER_ORG)
    with worker.transaction():
        failed, retry = fail(worker, run["id"], "rate_limited", 120)
        now = rows(worker, "SELECT now()")[0]["now"]
    assert failed["failure_type"] == "rate_limited"
    assert (retry["run_after"] - now).total_seconds() == 120
    assert (retry["attempt"], retry["counted_attempt"]) == (2, 1)
    # the hold: nothing else of this organisation's xledger, other organisations go on
    other = claim(worker)
    assert other is not None
    assert other["org_id"] == OTHER_ORG
    assert claim(worker) is None
    end_holds(conn)
    released = claim(worker)
    assert released is not None
    assert released["idempotency_key"] == "other-period"


def test_retry_after_is_capped_by_the_policy(worker: Conn) -> None:
    run = request_and_claim(worker, "p")
    with worker.transaction():
        _, retry = fail(worker, run["id"], "rate_limited", 999999)
        now = rows(worker, "SELECT now()")[0]["now"]
    assert (retry["run_after"] - now).total_seconds() == 3600
    hold = rows(worker, "SELECT held_until FROM runlog.integration_holds")[0]["held_until"]
    assert (hold - now).total_seconds() == 3600


def test_rate_limited_attempts_do_not_exhaust_the_budget(conn: Conn, worker: Conn) -> None:
    request(worker, "p")
    for _ in range(6):
        make_due(conn)
        end_holds(conn)
        run = claim(worker)
        assert run is not None
        fail(worker, run["id"], "rate_limited", 1)
    assert period(worker, "p")["state"] == "retry_pending"
    assert period(worker, "p")["attempts"] == 7


def test_bad_failure_types_and_retry_after_are_refused_and_change_nothing(
    conn: Conn, worker: Conn
) -> None:
    run = request_and_claim(worker, "p")
    before = all_runs(conn)
    for failure_type, retry_after in (
        ("heartbeat_timeout", None),  # the reaper's, not a worker's
        ("oops", None),
        (None, None),
        ("rate_limited", -1),
        ("rate_limited", float("nan")),
        ("rate_limited", 1e300),
    ):
        sql = "SELECT runlog.fail_run(%s, %s, 'x', %s)"
        assert sqlstate_of(worker, sql, run["id"], failure_type, retry_after) == "22023"
    assert all_runs(conn) == before


def schedule_every_minute(admin: Conn) -> None:
    admin.execute("SELECT runlog.set_schedule(%s, 'xledger', '* * * * *', 'UTC', 'latest')", [ORG])


def test_maintain_keeps_its_tick_when_the_reaper_waits_for_a_held_schedule(
    admin_dsn: str, conn: Conn, worker: Conn, admin: Conn
) -> None:
    """An operator holds the schedule of a stale run's period in an open edit.

    Reaping that run counts the dead period on the schedule and waits for the
    edit; past lock_timeout maintain used to fail, undoing every
    organisation's tick, and no stale run was reaped. Now that run waits for
    the next reap and the others are reaped.
    """
    schedule_every_minute(admin)
    admin.execute("UPDATE runlog.retry_policy SET max_attempts = 1")
    run = request_and_claim(worker, "p0")
    # the superuser ages the heartbeat: no role may write sync_run_log
    conn.execute("UPDATE runlog.sync_run_log SET heartbeat_at = now() - interval '1 hour'")
    other = uuid.uuid4()
    admin.execute("SELECT runlog.set_schedule(%s, 'dynamics', '* * * * *')", [other])
    conn.execute(
        "INSERT INTO runlog.sync_run_log (org_id, integration_type, status, triggered_by,"
        " started_at, heartbeat_at) VALUES (%s, 'dynamics', 'running', 'manual',"
        " now() - interval '2 hours', now() - interval '1 hour')",
        [other],
    )
    conn.execute("UPDATE runlog.schedule_slot SET next_slot = date_trunc('minute', now())")
    with psycopg.connect(admin_dsn) as holder:
        holder.execute("SELECT runlog.set_schedule(%s, 'xledger', '*/5 * * * *')", [ORG])
        (result,) = rows(worker, "SELECT * FROM runlog.maintain('w1')")
        holder.rollback()
    assert result["enqueued"] == 1, "the other organisation's slot stands"
    assert result["reaped"] == 1, "the other organisation's stale run is reaped"
    assert rows(worker, "SELECT status FROM runlog.sync_run_log WHERE id = %s", run["id"]) == [
        {"status": "running"}
    ], "reaped next minute"
    assert rows(worker, "SELECT count(*) AS n FROM runlog.sync_run_log"
                " WHERE org_id = %s AND status = 'queued'", other) == [{"n": 1}]  # fmt: skip


def test_a_retry_is_not_made_when_it_could_not_start_before_the_next_slot(
    worker: Conn, admin: Conn
) -> None:
    schedule_every_minute(admin)
    admin.execute("UPDATE runlog.retry_policy SET initial_delay = interval '2 minutes'")
    run = rows(
        worker,
        "SELECT * FROM runlog.start_run(%s, 'xledger', 'scheduler', date_trunc('minute', now()),"
        " 'slot')",
        ORG,
    )[0]
    (failed,) = fail(worker, run["id"], "transient_error")
    assert failed["retry_decision"] == "window_closed"


def test_a_policy_may_retry_past_the_next_slot(worker: Conn, admin: Conn) -> None:
    schedule_every_minute(admin)
    admin.execute(
        "INSERT INTO runlog.retry_policy (integration_type, initial_delay, retry_past_next_slot)"
        " VALUES ('xledger', interval '2 minutes', true)"
    )
    run = rows(
        worker,
        "SELECT * FROM runlog.start_run(%s, 'xledger', 'scheduler', date_trunc('minute', now()),"
        " 'slot')",
        ORG,
    )[0]
    failed, retry = fail(worker, run["id"], "transient_error")
    assert failed["retry_decision"] == "retry"
    assert retry["run_before"] is None


def test_a_retry_still_queued_when_the_next_slot_comes_is_superseded(
    conn: Conn, worker: Conn, admin: Conn
) -> None:
    admin.execute("SELECT runlog.set_schedule(%s, 'xledger', '0 0 1 1 *', 'UTC')", [ORG])
    run = rows(
        worker,
        "SELECT * FROM runlog.start_run(%s, 'xledger', 'scheduler', date_trunc('year', now()),"
        " 'slot')",
        ORG,
    )[0]
    _, retry = fail(worker, run["id"], "transient_error")
    assert retry["run_before"] == run["scheduled_for"].replace(year=run["scheduled_for"].year + 1)
    # the clock passes the next slot while the retry waits (say, on a hold)
    conn.execute(
        "UPDATE runlog.sync_run_log SET run_after = now() - interval '2 minutes',"
        " run_before = now() - interval '1 minute' WHERE id = %s",
        [retry["id"]],
    )
    assert claim(worker) is None
    (superseded,) = rows(worker, "SELECT * FROM runlog.sync_run_log WHERE id = %s", retry["id"])
    assert (superseded["status"], superseded["retry_decision"]) == ("cancelled", "window_closed")
    assert period(worker, "slot")["state"] == "dead"


def test_a_policy_override_for_one_organisation_wins(worker: Conn, admin: Conn) -> None:
    admin.execute(
        "INSERT INTO runlog.retry_policy (integration_type, org_id, max_attempts)"
        " VALUES ('xledger', NULL, 3), ('xledger', %s, 1)",
        [ORG],
    )
    run = request_and_claim(worker, "p")
    (failed,) = fail(worker, run["id"], "transient_error")
    assert failed["retry_decision"] == "exhausted"


def test_bad_policies_are_refused(admin: Conn) -> None:
    for sql in (
        "UPDATE runlog.retry_policy SET max_attempts = 0",
        "UPDATE runlog.retry_policy SET jitter = 2",
        "UPDATE runlog.retry_policy SET never_retry = '{bogus}'",
        "INSERT INTO runlog.retry_policy (integration_type, org_id)"
        " VALUES ('*', gen_random_uuid())",
    ):
        assert sqlstate_of(admin, sql) == "23514", sql


def test_runs_wait_while_an_active_check_finds_the_api_down(worker: Conn, admin: Conn) -> None:
    schedule_every_minute(admin)  # the schedule gives the integration a health row
    worker.execute("SELECT * FROM runlog.claim_health_checks('w', '{xledger}')")
    worker.execute("SELECT runlog.record_health_check(%s, 'xledger', false, 5, 'down')", [ORG])
    request(worker, "p")
    assert claim(worker) is None
    assert len(all_queued(worker)) == 1  # waiting, not dropped
    worker.execute("SELECT runlog.record_health_check(%s, 'xledger', true, 5)", [ORG])
    run = claim(worker)
    assert run is not None
    assert run["idempotency_key"] == "p"


def all_queued(conn: Conn) -> list[dict[str, Any]]:
    return rows(conn, "SELECT * FROM runlog.sync_run_log WHERE status = 'queued'")


def test_a_failed_sync_alone_does_not_stop_retries(conn: Conn, worker: Conn, admin: Conn) -> None:
    """Passive health (a failed scheduled run) must not block: no check would ever clear it."""
    schedule_every_minute(admin)
    run = rows(
        worker, "SELECT * FROM runlog.start_run(%s, 'xledger', 'scheduler', now(), 'p')", ORG
    )[0]
    admin.execute("UPDATE runlog.retry_policy SET retry_past_next_slot = true")
    fail(worker, run["id"], "transient_error")
    make_due(conn)
    assert claim(worker) is not None


def test_auto_pause_after_enough_dead_periods_with_one_notice_and_resume(
    dsn: str, worker: Conn, admin: Conn
) -> None:
    admin.execute(
        "UPDATE runlog.settings SET auto_pause_dead_periods = 3,"
        " auto_pause_without_success = interval '0'"
    )
    schedule_every_minute(admin)
    with psycopg.connect(dsn, autocommit=True) as listener:
        listener.execute("LISTEN runlog_alert")
        for n in range(4):
            run = request_and_claim(worker, f"p{n}")
            fail(worker, run["id"], "config_error")
        notices = [json.loads(n.payload) for n in listener.notifies(timeout=1)]
    assert notices == [{"kind": "auto_pause", "integration_type": "xledger"}]
    paused = rows(admin, "SELECT * FROM runlog.sync_schedule")[0]
    assert not paused["enabled"]
    assert "3 periods died in a row" in paused["paused_reason"]
    resumed = rows(admin, "SELECT * FROM runlog.resume_schedule(%s, 'xledger')", ORG)[0]
    assert resumed["enabled"]
    assert resumed["next_slot"] > paused["updated_at"]  # from now: the paused slots are skipped
    schedule = rows(admin, "SELECT * FROM runlog.sync_schedule")[0]
    assert schedule["paused_at"] is None
    assert schedule["paused_reason"] is None
    assert schedule["dead_periods_in_row"] == 0


def test_no_auto_pause_without_the_days_and_a_success_resets_the_count(
    worker: Conn, admin: Conn
) -> None:
    admin.execute("UPDATE runlog.settings SET auto_pause_dead_periods = 2")  # 3 days default
    schedule_every_minute(admin)
    for n in range(3):
        run = request_and_claim(worker, f"p{n}")
        fail(worker, run["id"], "auth_error")
    schedule = rows(admin, "SELECT * FROM runlog.sync_schedule")[0]
    assert schedule["enabled"]
    assert schedule["dead_periods_in_row"] == 3
    run = request_and_claim(worker, "ok")
    worker.execute("SELECT runlog.finish_run(%s, 'succeeded')", [run["id"]])
    schedule = rows(admin, "SELECT * FROM runlog.sync_schedule")[0]
    assert schedule["dead_periods_in_row"] == 0
    assert schedule["last_success_at"] is not None


def dead_period(worker: Conn, key: str = "p", org: uuid.UUID = ORG) -> int:
    request(worker, key, org=org)
    run = claim(worker)
    assert run is not None
    fail(worker, run["id"], "auth_error")
    return int(run["id"])


def test_retry_period_requeues_a_dead_period_as_its_next_attempt(admin: Conn, worker: Conn) -> None:
    dead_id = dead_period(worker)
    queued = rows(admin, "SELECT * FROM runlog.retry_period(%s, 'p')", ORG)[0]
    assert (queued["attempt"], queued["retry_of"], queued["counted_attempt"]) == (2, dead_id, 1)
    assert period(admin, "p")["state"] == "retry_pending"
    assert sqlstate_of(admin, "SELECT runlog.retry_period(%s, 'p')", ORG) == "RL003"
    assert sqlstate_of(admin, "SELECT runlog.retry_period(%s, 'nope')", ORG) == "RL004"
    assert sqlstate_of(worker, "SELECT runlog.retry_period(%s, 'p')", ORG) == "42501"


def test_a_reader_retries_only_its_own_organisations_periods(
    dsn: str, logins: Any, worker: Conn
) -> None:
    dead_period(worker, "mine", ORG)
    dead_period(worker, "theirs", OTHER_ORG)
    with connect_as(dsn, logins.reader, ORG) as reader:
        assert sqlstate_of(reader, "SELECT runlog.retry_period(%s, 'theirs')", OTHER_ORG) == "42501"
        reader.execute("SELECT runlog.retry_period(%s, 'mine')", [ORG])
        seen = reader.execute("SELECT org_id, state FROM runlog.sync_periods").fetchall()
    assert seen == [(ORG, "retry_pending")]


def test_sync_periods_states(conn: Conn, worker: Conn) -> None:
    run = request_and_claim(worker, "done")
    worker.execute("SELECT runlog.finish_run(%s, 'succeeded')", [run["id"]])
    request(worker, "busy")
    busy = claim(worker)
    assert busy is not None
    request(worker, "waiting", kind="visma")
    waiting = claim(worker)
    assert waiting is not None
    fail(worker, waiting["id"], "transient_error")
    dead_period(worker, "gone", OTHER_ORG)
    request(worker, "not-started", kind="dynamics")
    states = {
        r["idempotency_key"]: (r["state"], r["attempts"], r["last_failure_type"])
        for r in rows(conn, "SELECT * FROM runlog.sync_periods")
    }
    assert states == {
        "done": ("succeeded", 1, None),
        "busy": ("running", 1, None),
        "waiting": ("retry_pending", 2, "transient_error"),
        "gone": ("dead", 1, "auth_error"),
    }


def second_call_beside(
    worker: Conn, worker_dsn: str, held_sql: str, second_sql: str, run_id: int
) -> list[str | None]:
    """held_sql in a transaction held open for 0.5 s beside second_sql; second_sql's SQLSTATE.

    Asserts that the second call waited for the held transaction.
    """
    with psycopg.connect(worker_dsn) as other:
        other.execute(held_sql, [run_id])
        done: list[str | None] = []
        caller = threading.Thread(
            target=lambda: done.append(sqlstate_of(worker, second_sql, run_id))
        )
        caller.start()
        time.sleep(0.5)
        assert not done, "the second call must wait for the held transaction"
        other.commit()
        caller.join(10)
    return done


def test_fail_run_beside_an_uncommitted_cancel_waits_and_then_reports_not_running(
    conn: Conn, worker: Conn, worker_dsn: str
) -> None:
    run = request_and_claim(worker, "p")
    done = second_call_beside(
        worker, worker_dsn, "SELECT runlog.cancel_run(%s, 'operator')",
        "SELECT runlog.fail_run(%s, 'transient_error')", run["id"],
    )  # fmt: skip
    assert done == ["RL002"]
    assert [r["status"] for r in all_runs(conn)] == ["cancelled"]  # no retry of it either


def test_two_sessions_failing_one_run_queue_one_retry(
    conn: Conn, worker: Conn, worker_dsn: str
) -> None:
    """fail_run locks the attempt first: the second caller waits, then finds it ended."""
    run = request_and_claim(worker, "p")
    done = second_call_beside(
        worker, worker_dsn, "SELECT runlog.fail_run(%s, 'transient_error')",
        "SELECT runlog.fail_run(%s, 'rate_limited')", run["id"],
    )  # fmt: skip
    assert done == ["RL002"]
    runs = all_runs(conn)
    assert [(r["status"], r["attempt"], r["retry_of"]) for r in runs] == [
        ("failed", 1, None),
        ("queued", 2, run["id"]),
    ]
    assert runs[0]["failure_type"] == "transient_error"
    assert runs[0]["retry_decision"] == "retry"
    counted = rows(conn, "SELECT sum(attempts) AS n FROM runlog.retry_counters")
    assert counted[0]["n"] == 1


def test_a_retry_whose_id_hits_another_run_fails_loudly_and_changes_nothing(
    conn: Conn, worker: Conn
) -> None:
    """The id sequence behind the table (a restore, a failover): never overwrite another run.

    _fail_attempt ends the attempt and inserts its retry in one statement,
    ON CONFLICT (id) DO UPDATE for the attempt's own row; the retry's new id
    must not take that path onto someone else's run.
    """
    other_org = uuid.UUID("00000000-0000-4000-8000-0000000000b2")
    run = request_and_claim(worker, "p")
    victim = worker.execute(
        "SELECT id FROM runlog.start_run(%s, 'visma', 'manual', NULL, 'v')", [other_org]
    ).fetchone()
    assert victim is not None
    worker.execute("SELECT runlog.finish_run(%s, 'succeeded', 10, 0)", [victim["id"]])
    before = all_runs(conn)
    conn.execute("SELECT setval('runlog.sync_run_log_id_seq', %s)", [victim["id"] - 1])
    with pytest.raises(psycopg.errors.UniqueViolation, match="got the id of an existing run"):
        worker.execute("SELECT runlog.fail_run(%s, 'transient_error', 'boom')", [run["id"]])
    assert all_runs(conn) == before


def test_sync_run_log_has_nothing_that_sees_the_rows_fail_run_only_proposes(conn: Conn) -> None:
    """_fail_attempt's one-statement write proposes the running attempt as an INSERT row.

    That row goes through the CHECK constraints and would reach a BEFORE INSERT
    trigger before its conflict turns it into the UPDATE. Adding either kind
    needs _fail_attempt rethought (back to UPDATE then INSERT).
    """
    triggers = conn.execute(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'runlog.sync_run_log'::regclass"
        " AND NOT tgisinternal AND (tgtype & 2) <> 0"  # TRIGGER_TYPE_BEFORE
    ).fetchall()
    assert triggers == []
    unvalidated = conn.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = 'runlog.sync_run_log'::regclass"
        " AND NOT convalidated"
    ).fetchall()
    assert unvalidated == []


def test_without_any_policy_row_the_documented_defaults_hold(admin: Conn, worker: Conn) -> None:
    admin.execute("DELETE FROM runlog.retry_policy")
    run = request_and_claim(worker, "p")
    with worker.transaction():
        _, retry = fail(worker, run["id"], "transient_error")
        delay = rows(worker, "SELECT extract(epoch FROM %s - now()) AS s", retry["run_after"])
    assert 27 <= float(delay[0]["s"]) <= 33
    (auth,) = fail(worker, request_and_claim(worker, "q")["id"], "auth_error")
    assert auth["retry_decision"] == "not_retryable"


@pytest.mark.parametrize("retry_after", [0, 0.001])
def test_a_retry_after_of_zero_waits_the_initial_delay(worker: Conn, retry_after: float) -> None:
    """Retry-After 0 (or a past HTTP date, which parse_retry_after reads as 0) must not loop."""
    run = request_and_claim(worker, "p")
    with worker.transaction():
        _, retry = fail(worker, run["id"], "rate_limited", retry_after)
        now = rows(worker, "SELECT now()")[0]["now"]
    assert (retry["run_after"] - now).total_seconds() == 30  # the policy's initial_delay
    hold = rows(worker, "SELECT held_until FROM runlog.integration_holds")[0]["held_until"]
    assert (hold - now).total_seconds() == 30
    assert claim(worker) is None


def test_a_server_that_always_answers_429_ends_the_period(conn: Conn, worker: Conn) -> None:
    """10 rate-limited attempts in a row are free; each further one counts (4 by default)."""
    request(worker, "p")
    decisions = []
    for _ in range(20):
        make_due(conn)
        end_holds(conn)
        run = claim(worker)
        if run is None:
            break
        failed, *_ = fail(worker, run["id"], "rate_limited", 0)
        decisions.append((failed["attempt"], failed["counted_attempt"], failed["retry_decision"]))
    assert decisions[9] == (10, 1, "retry")
    assert decisions[10:] == [
        (11, 1, "retry"),
        (12, 2, "retry"),
        (13, 3, "retry"),
        (14, 4, "exhausted"),
    ]
    assert period(conn, "p")["state"] == "dead"


def test_a_transient_failure_between_429s_restarts_the_free_run(conn: Conn, worker: Conn) -> None:
    request(worker, "p")
    for failure_type in ["rate_limited"] * 10 + ["transient_error"] + ["rate_limited"] * 3:
        make_due(conn)
        end_holds(conn)
        run = claim(worker)
        assert run is not None
        fail(worker, run["id"], failure_type, 0)
    (queued,) = all_queued(conn)
    assert (queued["attempt"], queued["counted_attempt"]) == (15, 2)


def dead_scheduled_period_of_an_hour_ago(worker: Conn, admin: Conn) -> dict[str, Any]:
    """A scheduler attempt of a slot an hour ago (every minute: its next slot has passed) died."""
    schedule_every_minute(admin)
    run = rows(
        worker,
        "SELECT * FROM runlog.start_run(%s, 'xledger', 'scheduler',"
        " date_trunc('minute', now()) - interval '1 hour', 'old-slot')",
        ORG,
    )[0]
    fail(worker, run["id"], "auth_error")
    return run


def test_a_manual_retry_of_an_old_slot_has_no_next_slot_limit(
    conn: Conn, worker: Conn, admin: Conn
) -> None:
    dead_scheduled_period_of_an_hour_ago(worker, admin)
    rows(admin, "SELECT * FROM runlog.retry_period(%s, 'old-slot')", ORG)
    run = claim(worker)
    assert run is not None
    failed, retry = fail(worker, run["id"], "transient_error")
    assert failed["retry_decision"] == "retry"
    assert (retry["attempt"], retry["counted_attempt"], retry["run_before"]) == (3, 2, None)
    make_due(conn)
    assert claim(worker) is not None  # not superseded either


def bound_reader(dsn: str, logins: Any, admin: Conn) -> Conn:
    """The reader login bound to ORG (org_logins lives in the per-test database)."""
    admin.execute("SELECT runlog.bind_login(%s, %s)", [logins.reader, ORG])
    return connect_as(dsn, logins.reader, None)


def test_a_retried_period_is_due_now_behind_runs_already_waiting(
    dsn: str, logins: Any, conn: Conn, worker: Conn, admin: Conn
) -> None:
    dead_scheduled_period_of_an_hour_ago(worker, admin)
    request(worker, "waiting", org=OTHER_ORG)
    conn.execute(  # the test's clock: that request has waited ten minutes
        "UPDATE runlog.sync_run_log SET queued_at = now() - interval '10 minutes'"
        " WHERE idempotency_key = 'waiting'"
    )
    with bound_reader(dsn, logins, admin) as reader, reader.transaction():
        retried = reader.execute(
            "SELECT run_after, now() FROM runlog.retry_period(%s, 'old-slot')", [ORG]
        ).fetchone()
    assert retried is not None
    assert retried[0] == retried[1]
    first = claim(worker)
    assert first is not None
    assert first["idempotency_key"] == "waiting"
    second = claim(worker)
    assert second is not None
    assert second["idempotency_key"] == "old-slot"


def test_a_reader_cannot_stack_queued_manual_runs_with_retry_period(
    dsn: str, logins: Any, conn: Conn, worker: Conn, admin: Conn
) -> None:
    dead_period(worker, "a")
    dead_period(worker, "b")
    # readers request syncs of scheduled integrations only
    admin.execute("SELECT runlog.set_schedule(%s, 'xledger', '0 6 * * *')", [ORG])
    with bound_reader(dsn, logins, admin) as reader:
        first = reader.execute("SELECT id FROM runlog.retry_period(%s, 'a')", [ORG]).fetchone()
        again = reader.execute("SELECT id FROM runlog.retry_period(%s, 'b')", [ORG]).fetchone()
        asked = reader.execute(
            "SELECT id FROM runlog.request_sync(%s, 'xledger')", [ORG]
        ).fetchone()
    assert first == again == asked
    assert len(all_queued(conn)) == 1
    assert period(conn, "b")["state"] == "dead"


def drift_count(admin: Conn) -> float:
    (row,) = rows(
        admin,
        "SELECT value FROM runlog.metrics() WHERE name = 'pyrunlog_start_drift_seconds_count'"
        " AND labels->>'integration_type' = 'xledger'",
    )
    return float(row["value"])


def test_retries_are_no_drift(conn: Conn, worker: Conn, admin: Conn) -> None:
    """Drift is the scheduler's lateness: a retried old period or a backoff raises no alert."""
    late = dead_scheduled_period_of_an_hour_ago(worker, admin)  # attempt 1 started an hour late
    rows(admin, "SELECT * FROM runlog.retry_period(%s, 'old-slot')", ORG)
    retried = claim(worker)
    assert retried is not None
    assert float(retried["drift_seconds"]) > 3600
    fail(worker, retried["id"], "transient_error")
    make_due(conn)
    assert claim(worker) is not None  # attempt 3, after a backoff
    alerts = rows(conn, "SELECT run_id FROM runlog.alert_log WHERE kind = 'drift'")
    assert [a["run_id"] for a in alerts] == [late["id"]]
    listed = rows(admin, "SELECT id FROM runlog.drift_alerts")
    assert [r["id"] for r in listed] == [late["id"]]
    assert drift_count(admin) == 1


def dead_periods_in_row(admin: Conn) -> int:
    return int(
        rows(admin, "SELECT dead_periods_in_row FROM runlog.sync_schedule")[0][
            "dead_periods_in_row"
        ]
    )


def test_a_period_dies_once_and_a_paused_schedule_counts_nothing(worker: Conn, admin: Conn) -> None:
    admin.execute(
        "UPDATE runlog.settings SET auto_pause_dead_periods = 3,"
        " auto_pause_without_success = interval '0'"
    )
    schedule_every_minute(admin)
    dead_period(worker, "p0")
    for _ in range(2):  # an operator retries it, and it dies again, twice
        rows(admin, "SELECT * FROM runlog.retry_period(%s, 'p0')", ORG)
        run = claim(worker)
        assert run is not None
        fail(worker, run["id"], "auth_error")
    assert dead_periods_in_row(admin) == 1
    assert rows(admin, "SELECT enabled FROM runlog.sync_schedule")[0]["enabled"]
    dead_period(worker, "p1")
    dead_period(worker, "p2")
    assert not rows(admin, "SELECT enabled FROM runlog.sync_schedule")[0]["enabled"]
    dead_period(worker, "p3")  # while paused
    assert dead_periods_in_row(admin) == 3


def test_sync_periods_shows_retry_at_only_when_pending_and_dead_because_only_when_dead(
    conn: Conn, worker: Conn
) -> None:
    run = request_and_claim(worker, "p")
    fail(worker, run["id"], "transient_error")
    pending = period(conn, "p")
    assert (pending["state"], pending["dead_because"]) == ("retry_pending", None)
    assert pending["retry_at"] is not None
    make_due(conn)
    retried = claim(worker)
    assert retried is not None
    worker.execute("SELECT runlog.finish_run(%s, 'succeeded')", [retried["id"]])
    done = period(conn, "p")
    assert (done["state"], done["retry_at"], done["dead_because"]) == ("succeeded", None, None)
    dead_period(worker, "gone")
    gone = period(conn, "gone")
    assert (gone["state"], gone["retry_at"], gone["dead_because"]) == (
        "dead",
        None,
        "not_retryable",
    )


def test_a_bound_login_is_told_it_acts_for_its_bound_organisation(
    dsn: str, logins: Any, worker: Conn, admin: Conn
) -> None:
    dead_period(worker, "theirs", OTHER_ORG)
    with (
        bound_reader(dsn, logins, admin) as reader,
        pytest.raises(psycopg.errors.InsufficientPrivilege) as refused,
    ):
        reader.execute("SELECT runlog.retry_period(%s, 'theirs')", [OTHER_ORG])
    assert refused.value.diag.message_hint == (
        "This login is bound to one organisation (bind_login) and acts for its bound"
        " organisation only."
    )
