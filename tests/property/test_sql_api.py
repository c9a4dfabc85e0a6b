"""Property-based: random, hostile sequences of calls never break the run log's promises."""

from __future__ import annotations

import contextlib
import uuid
from datetime import datetime, timedelta, timezone

import psycopg
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from pyrunlog import RunLog, RunLogError
from pyrunlog.failures import FAILURE_TYPES
from pyrunlog.models import RunStatus

ORGS = [uuid.UUID(int=0xA0 + i) for i in range(3)]
KINDS = ["xledger", "dynamics_365", "visma"]
HOSTILE_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "\x00",
            "a\x00b",
            "'; DROP TABLE runlog.sync_run_log; --",
            "Robert'); --",
            "é" * 3000,
            "x" * 100_000,
            "%s %(x)s {}",
            "\ud800",
            "😀" * 70,
            "XLEDGER",
            "1abc",
        ]
    ),
)
KIND = st.one_of(st.sampled_from(KINDS), HOSTILE_TEXT)
ORG = st.one_of(st.sampled_from(ORGS), st.uuids())
COUNT = st.one_of(
    st.none(), st.integers(-5, 10_000), st.sampled_from([-(2**63), 2**63 - 1, 2**63, 2**70])
)
STATUS = st.one_of(st.sampled_from([s.value for s in RunStatus]), HOSTILE_TEXT)
WHEN = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.just(timezone.utc),
    ),
)
RUN_ID = st.one_of(st.integers(0, 60), st.sampled_from([-1, 2**63 - 1, 2**63, 2**80]))


def make_machine(dsn: str) -> type[RuleBasedStateMachine]:
    class RunLogMachine(RuleBasedStateMachine):
        """Every rule calls the public API; only documented errors may escape."""

        def __init__(self) -> None:
            super().__init__()
            self.runlog = RunLog(dsn, max_size=2)
            self.conn = psycopg.connect(dsn, autocommit=True)

        def teardown(self) -> None:
            self.conn.close()
            self.runlog.close()

        @initialize()
        def empty_log_with_schedules(self) -> None:
            self.conn.execute(
                "TRUNCATE runlog.sync_run_log, runlog.sync_schedule, runlog.schedule_slot,"
                " runlog.integration_health, runlog.integration_holds"
            )
            for org, policy in zip(ORGS, ("none", "latest", "all"), strict=True):
                self.runlog.set_schedule(org, "xledger", "*/7 * * * *", "Europe/Oslo", policy)

        def attempt(self, call: object, *args: object) -> None:
            with contextlib.suppress(RunLogError):  # documented: a clear, specific error
                call(*args)  # type: ignore[operator]

        @rule(
            org=ORG,
            kind=KIND,
            trigger=st.sampled_from(["manual", "scheduler", "cron", ""]),
            when=WHEN,
            key=st.one_of(st.none(), st.sampled_from(["k1", "k2"]), HOSTILE_TEXT),
        )
        def request_sync(
            self, org: uuid.UUID, kind: str, trigger: str, when: datetime | None, key: str | None
        ) -> None:
            self.attempt(self.runlog.request_sync, org, kind, trigger, when, key)

        @rule(
            org=ORG, kind=KIND, key=st.one_of(st.none(), st.sampled_from(["k1", "k2"])), when=WHEN
        )
        def start_run(
            self, org: uuid.UUID, kind: str, key: str | None, when: datetime | None
        ) -> None:
            self.attempt(
                self.runlog.start_run, org, kind, "scheduler" if when else "manual", when, key
            )

        @rule(worker=st.one_of(st.just("w1"), HOSTILE_TEXT))
        def claim(self, worker: str) -> None:
            self.attempt(self.runlog.claim_next, worker)

        @rule(run_id=RUN_ID, processed=COUNT, failed=COUNT)
        def heartbeat(self, run_id: int, processed: int | None, failed: int | None) -> None:
            self.attempt(self.runlog.heartbeat, run_id, processed, failed)

        @rule(
            run_id=RUN_ID,
            status=STATUS,
            processed=COUNT,
            failed=COUNT,
            error=st.one_of(st.none(), HOSTILE_TEXT),
        )
        def finish(
            self,
            run_id: int,
            status: str,
            processed: int | None,
            failed: int | None,
            error: str | None,
        ) -> None:
            self.attempt(self.runlog.finish_run, run_id, status, processed, failed, error)

        @rule(
            run_id=RUN_ID,
            failure_type=st.one_of(st.sampled_from(FAILURE_TYPES), HOSTILE_TEXT),
            retry_after=st.one_of(
                st.none(),
                st.floats(allow_nan=True, allow_infinity=True),
                st.sampled_from([0.0, 1.0, 3600.0, 1e12]),
            ),
            error=st.one_of(st.none(), HOSTILE_TEXT),
        )
        def fail(
            self, run_id: int, failure_type: str, retry_after: float | None, error: str | None
        ) -> None:
            self.attempt(self.runlog.fail_run, run_id, failure_type, error, retry_after)

        @rule()
        def time_passes(self) -> None:
            """The test's clock: pending retries fall due and holds end (superuser)."""
            self.conn.execute(
                "UPDATE runlog.sync_run_log SET run_after = now() WHERE status = 'queued'"
                " AND run_after > now()"
            )
            self.conn.execute("UPDATE runlog.integration_holds SET held_until = now()")

        @rule(org=ORG, key=st.one_of(st.sampled_from(["k1", "k2"]), HOSTILE_TEXT))
        def retry_period(self, org: uuid.UUID, key: str) -> None:
            self.attempt(self.runlog.retry_period, org, key)

        @rule(run_id=RUN_ID, reason=st.one_of(st.none(), HOSTILE_TEXT))
        def cancel(self, run_id: int, reason: str | None) -> None:
            self.attempt(self.runlog.cancel_run, run_id, reason)

        @rule(at=WHEN)
        def tick(self, at: datetime | None) -> None:
            self.attempt(self.runlog.tick, at)

        @rule(seconds=st.one_of(st.integers(-100, 100_000), st.just(10**9)))
        def reap(self, seconds: int) -> None:
            self.attempt(self.runlog.reap_stale, timedelta(seconds=seconds))

        @rule(
            org=st.one_of(st.none(), ORG),
            kind=st.one_of(st.none(), KIND),
            rows=st.integers(-5, 2000),
            before=st.one_of(st.none(), RUN_ID),
        )
        def read(
            self, org: uuid.UUID | None, kind: str | None, rows: int, before: int | None
        ) -> None:
            self.attempt(self.runlog.run_history, org, kind, rows, before)
            self.attempt(self.runlog.last_runs, org)

        @invariant()
        def promises_hold(self) -> None:
            one = self.conn.execute
            assert one(
                "SELECT count(*) FROM (SELECT org_id, integration_type FROM runlog.sync_run_log"
                " WHERE status = 'running' GROUP BY 1, 2 HAVING count(*) > 1) x"
            ).fetchone() == (0,), "two running runs for one integration"
            assert one(
                "SELECT count(*) FROM (SELECT org_id, idempotency_key FROM runlog.sync_run_log"
                " WHERE status IN ('queued', 'running', 'succeeded', 'partial')"
                " AND idempotency_key IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) x"
            ).fetchone() == (0,), "a live idempotency key twice"
            assert one(
                "SELECT count(*) FROM runlog.sync_run_log WHERE ended_at < started_at"
                " OR char_length(error_message) > 2000"
                " OR records_processed < 0 OR records_failed < 0"
                " OR (status NOT IN ('queued', 'running') AND ended_at IS NULL)"
            ).fetchone() == (0,), "a stored run breaks a documented rule"
            assert one(
                "SELECT count(*) FROM (SELECT org_id, idempotency_key FROM runlog.sync_run_log"
                " WHERE status IN ('queued', 'running') AND idempotency_key IS NOT NULL"
                " GROUP BY 1, 2 HAVING count(*) > 1) x"
            ).fetchone() == (0,), "two live attempts of one period"
            assert one(
                "SELECT count(*) FROM runlog.sync_run_log r JOIN runlog.sync_run_log s"
                " ON s.org_id = r.org_id AND s.idempotency_key = r.idempotency_key"
                " WHERE s.status IN ('succeeded', 'partial') AND r.id > s.id"
                " AND r.status NOT IN ('succeeded', 'partial')"
                " AND (r.attempt > 1 OR r.retry_of IS NOT NULL)"
            ).fetchone() == (0,), "a succeeded period was retried"
            assert one(
                "SELECT count(*) FROM runlog.sync_run_log r WHERE r.attempt > 1 AND NOT EXISTS"
                " (SELECT FROM runlog.sync_run_log p WHERE p.id = r.retry_of"
                " AND p.attempt = r.attempt - 1 AND p.org_id = r.org_id"
                " AND p.idempotency_key = r.idempotency_key"
                " AND p.status IN ('failed', 'timed_out', 'cancelled'))"
            ).fetchone() == (0,), "attempts numbered with a gap, or a retry of a live attempt"
            assert one(
                "SELECT count(*) FROM runlog.sync_run_log WHERE"
                " (failure_type IS NOT NULL) <> (status IN ('failed', 'timed_out'))"
                " OR (status IN ('failed', 'timed_out') AND retry_decision IS NULL)"
            ).fetchone() == (0,), "a failed attempt without its type and decision"

    return RunLogMachine


def test_random_hostile_call_sequences_keep_every_promise(dsn: str) -> None:
    run_state_machine_as_test(
        make_machine(dsn),
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
