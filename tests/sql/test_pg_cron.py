"""The pg_cron jobs, on a server with pg_cron loaded, installed by a runlog_admin login.

install_cron_jobs() is SECURITY DEFINER: the jobs belong to the schema owner
and run as it, whoever installs them; a runlog_admin login reads them through
runlog.cron_job_status().
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from datetime import datetime, timedelta

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from tests.conftest import Logins

ORG = uuid.UUID("00000000-0000-4000-8000-00000000000c")
JOBS = ["runlog_prewarm", "runlog_reaper", "runlog_retention", "runlog_tick"]


@pytest.fixture
def cron_admin_dsn(cron_dsn: str, logins: Logins) -> str:
    """The pg_cron database as a login holding only runlog_admin."""
    return make_conninfo(cron_dsn, user=logins.admin)


def test_installing_the_jobs_twice_leaves_one_row_per_job(cron_admin_dsn: str) -> None:
    with psycopg.connect(cron_admin_dsn, autocommit=True) as admin:
        first = [r[0] for r in admin.execute("SELECT jobname FROM runlog.install_cron_jobs()")]
        admin.execute("SELECT * FROM runlog.install_cron_jobs()")
        rows = admin.execute(
            "SELECT jobname, count(*) FROM runlog.cron_job_status() GROUP BY 1 ORDER BY 1"
        ).fetchall()
        driver = admin.execute("SELECT driver, cron_jobs FROM runlog.scheduler_status()").fetchone()
    assert sorted(first) == JOBS
    assert rows == [(name, 1) for name in JOBS]
    assert driver == ("pg_cron", 4)


def test_prune_also_prunes_old_pg_cron_history_of_our_jobs_only(
    cron_dsn: str, cron_admin_dsn: str
) -> None:
    """Planting another owner's job and old history in schema cron needs the superuser."""
    with psycopg.connect(cron_admin_dsn, autocommit=True) as admin:
        admin.execute("SELECT * FROM runlog.install_cron_jobs()")
    with psycopg.connect(cron_dsn, autocommit=True) as superuser:
        superuser.execute("SELECT cron.schedule('someone_elses_job', '0 0 1 1 *', 'SELECT 1')")
        superuser.execute(
            "INSERT INTO cron.job_run_details (jobid, runid, database, username, command, status,"
            " start_time, end_time)"
            " SELECT j.jobid, nextval('cron.runid_seq'), 'x', 'x', j.command, 'succeeded',"
            " now() - age, now() - age"
            " FROM cron.job j, unnest(ARRAY[interval '30 days', interval '1 minute']) AS age"
        )
    with psycopg.connect(cron_admin_dsn, autocommit=True) as admin:
        admin.execute("SELECT runlog.prune()")
    with psycopg.connect(cron_dsn, autocommit=True) as superuser:
        left = superuser.execute(
            "SELECT j.jobname, count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)"
            " GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert left == sorted([("someone_elses_job", 2)] + [(name, 1) for name in JOBS])


@pytest.mark.slow
def test_a_pg_cron_fired_tick_enqueues_a_due_run(cron_admin_dsn: str) -> None:
    with psycopg.connect(cron_admin_dsn, autocommit=True) as admin:
        admin.execute("SELECT * FROM runlog.install_cron_jobs()")
        admin.execute("SELECT runlog.set_schedule(%s, 'xledger', '* * * * *')", [ORG])
        deadline = time.monotonic() + 80
        run = None
        while time.monotonic() < deadline and run is None:
            run = admin.execute(
                "SELECT triggered_by, scheduled_for, queued_at FROM runlog.sync_run_log"
                " WHERE org_id = %s",
                [ORG],
            ).fetchone()
            time.sleep(0.5)
        ticked_by = admin.execute("SELECT last_tick_by FROM runlog.scheduler_status()").fetchone()
    assert run is not None, "pg_cron did not enqueue the slot within 80 seconds"
    triggered_by, slot, queued_at = run
    assert triggered_by == "scheduler"
    assert slot.second == 0
    assert (queued_at - slot).total_seconds() < 30, "enqueued at its slot's minute"
    assert ticked_by == ("pg_cron",)


SCHEDULES = 240
MINUTES = 3


@pytest.mark.slow
def test_240_every_minute_schedules_get_every_slot_once_over_3_real_minutes(
    cron_admin_dsn: str,
) -> None:
    """pg_cron starts prewarm, tick and the reaper in the same second, every minute."""
    orgs = [uuid.UUID(int=0xC000 + n) for n in range(SCHEDULES)]
    policies = ["none", "latest", "all"]
    with psycopg.connect(cron_admin_dsn, autocommit=True) as admin:
        admin.execute("SELECT * FROM runlog.install_cron_jobs()")
        with admin.transaction(), admin.cursor() as cur:  # one now(): one first slot for all
            cur.executemany(
                "SELECT runlog.set_schedule(%s, 'xledger', '* * * * *', 'UTC', %s)",
                [(org, policies[n % 3]) for n, org in enumerate(orgs)],
            )
        row = admin.execute("SELECT min(next_slot), max(next_slot) FROM runlog.schedule_slot")
        first, latest = row.fetchone() or (None, None)
        assert first is not None
        assert first == latest
        last: datetime = first + timedelta(minutes=MINUTES - 1)
        deadline = time.monotonic() + (last - first).total_seconds() + 150
        while time.monotonic() < deadline:
            ticked = admin.execute(
                "SELECT last_tick_at >= %s FROM runlog.scheduler_status()", [last]
            ).fetchone()
            if ticked and ticked[0]:
                break
            time.sleep(1)
        else:
            pytest.fail(f"pg_cron did not tick the minute {last:%H:%M} in time")
        rows = admin.execute(
            "SELECT org_id, scheduled_for FROM runlog.sync_run_log"
            " WHERE triggered_by = 'scheduler' AND scheduled_for <= %s",
            [last],
        ).fetchall()
    enqueued = Counter((org, slot) for org, slot in rows)
    expected = Counter(
        {(org, first + timedelta(minutes=m)): 1 for org in orgs for m in range(MINUTES)}
    )
    per_minute = Counter(slot for _, slot in rows)
    assert enqueued == expected, f"runs per minute: {sorted(per_minute.items())}"
