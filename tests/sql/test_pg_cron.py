"""The pg_cron jobs, on a server with pg_cron loaded."""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest

ORG = uuid.UUID("00000000-0000-4000-8000-00000000000c")
JOBS = ["runlog_prewarm", "runlog_reaper", "runlog_retention", "runlog_tick"]


def test_installing_the_jobs_twice_leaves_one_row_per_job(cron_dsn: str) -> None:
    with psycopg.connect(cron_dsn, autocommit=True) as conn:
        first = [r[0] for r in conn.execute("SELECT jobname FROM runlog.install_cron_jobs()")]
        conn.execute("SELECT * FROM runlog.install_cron_jobs()")
        rows = conn.execute(
            "SELECT jobname, count(*) FROM cron.job GROUP BY jobname ORDER BY jobname"
        ).fetchall()
        driver = conn.execute("SELECT driver, cron_jobs FROM runlog.scheduler_status()").fetchone()
    assert sorted(first) == JOBS
    assert rows == [(name, 1) for name in JOBS]
    assert driver == ("pg_cron", 4)


def test_prune_also_prunes_old_pg_cron_history_of_our_jobs_only(cron_dsn: str) -> None:
    with psycopg.connect(cron_dsn, autocommit=True) as conn:
        conn.execute("SELECT * FROM runlog.install_cron_jobs()")
        conn.execute("SELECT cron.schedule('someone_elses_job', '0 0 1 1 *', 'SELECT 1')")
        conn.execute(
            "INSERT INTO cron.job_run_details (jobid, runid, database, username, command, status,"
            " start_time, end_time)"
            " SELECT j.jobid, nextval('cron.runid_seq'), 'x', 'x', j.command, 'succeeded',"
            " now() - age, now() - age"
            " FROM cron.job j, unnest(ARRAY[interval '30 days', interval '1 minute']) AS age"
        )
        conn.execute("SELECT runlog.prune()")
        left = conn.execute(
            "SELECT j.jobname, count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)"
            " GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert left == sorted([("someone_elses_job", 2)] + [(name, 1) for name in JOBS])


@pytest.mark.slow
def test_a_pg_cron_fired_tick_enqueues_a_due_run(cron_dsn: str) -> None:
    with psycopg.connect(cron_dsn, autocommit=True) as conn:
        conn.execute("SELECT * FROM runlog.install_cron_jobs()")
        conn.execute("SELECT runlog.set_schedule(%s, 'xledger', '* * * * *')", [ORG])
        deadline = time.monotonic() + 80
        run = None
        while time.monotonic() < deadline and run is None:
            run = conn.execute(
                "SELECT triggered_by, scheduled_for, queued_at FROM runlog.sync_run_log"
                " WHERE org_id = %s",
                [ORG],
            ).fetchone()
            time.sleep(0.5)
        ticked_by = conn.execute("SELECT last_tick_by FROM runlog.scheduler_status()").fetchone()
    assert run is not None, "pg_cron did not enqueue the slot within 80 seconds"
    triggered_by, slot, queued_at = run
    assert triggered_by == "scheduler"
    assert slot.second == 0
    assert (queued_at - slot).total_seconds() < 30, "enqueued at its slot's minute"
    assert ticked_by == ("pg_cron",)
