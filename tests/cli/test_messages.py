"""Messages a person understands: bad values shown, warnings, counts in the right form."""

from __future__ import annotations

import uuid

import psycopg
from click.testing import CliRunner

from pyrunlog.cli import cli
from pyrunlog.repository import RunLog

ORG = uuid.UUID("00000000-0000-4000-8000-0000000000f1")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), terminal_width=200)
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def test_a_negative_prewarm_lead_is_refused_with_the_value(admin_dsn: str) -> None:
    code, _, err = run("schedule", "add", "--dsn", admin_dsn, "--org", str(ORG), "xledger",
                       "0 6 * * *", "--prewarm-lead", "-5")  # fmt: skip
    assert code == 2
    assert "the pre-warm runs 0 to 3600 seconds (1 hour) before each slot, got -5" in err
    with RunLog(admin_dsn) as admin:
        assert admin.schedules() == [], "nothing stored"


def test_trigger_warns_when_nothing_knows_the_integration(admin_dsn: str) -> None:
    code, out, err = run("trigger", "--dsn", admin_dsn, "--org", str(ORG), "xldeger")
    assert code == 0, "the run is queued all the same"
    assert "queued run" in out
    assert "warning: no schedule names 'xldeger' and no worker has ever run it" in err


def test_trigger_does_not_warn_for_a_scheduled_integration(admin_dsn: str) -> None:
    with RunLog(admin_dsn) as admin:
        admin.set_schedule(uuid.uuid4(), "xledger", "0 6 * * *", "UTC")
    code, _, err = run("trigger", "--dsn", admin_dsn, "--org", str(ORG), "xledger")
    assert code == 0
    assert err == ""


def test_trigger_does_not_warn_once_a_worker_ran_the_integration(
    admin_dsn: str, worker_dsn: str
) -> None:
    with RunLog(worker_dsn) as worker:
        started = worker.start_run(ORG, "visma")
        worker.finish_run(started.id, "succeeded")
    code, _, err = run("trigger", "--dsn", admin_dsn, "--org", str(ORG), "visma")
    assert code == 0
    assert err == ""


def test_counts_of_one_are_singular(dsn: str, admin_dsn: str, worker_dsn: str) -> None:
    """The superuser moves a slot and a run into the past (no API call may do that)."""
    with RunLog(admin_dsn) as admin:
        admin.set_schedule(ORG, "xledger", "* * * * *", "UTC")
    with RunLog(worker_dsn) as worker:
        for _ in range(2):  # prune keeps the latest run of each integration
            done = worker.start_run(ORG, "visma")
            worker.finish_run(done.id, "succeeded")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("UPDATE runlog.schedule_slot SET next_slot = now() - interval '10 seconds'")
        conn.execute(
            "UPDATE runlog.sync_run_log SET started_at = now() - interval '40 days',"
            " ended_at = now() - interval '40 days', queued_at = now() - interval '40 days'"
        )
    assert run("tick", "--dsn", admin_dsn)[1].strip() == "enqueued 1 run"
    pruned = run("prune", "--dsn", admin_dsn, "--older-than-days", "30")[1]
    assert pruned.strip() == "deleted 1 run"
