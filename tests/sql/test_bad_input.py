"""Bad input gets its documented error and leaves stored rows unchanged."""

from __future__ import annotations

import subprocess
import uuid

import psycopg
import pytest

from pyrunlog.localpg import find_bindir
from tests.helpers import Conn, all_runs, call, sqlstate_of

ORG = uuid.UUID("00000000-0000-4000-8000-000000000003")

BAD_CALLS = [
    # (what, sql, params, sqlstate)
    ("NULL org_id", "SELECT runlog.start_run(NULL, 'xledger')", (), "22023"),
    ("empty integration", "SELECT runlog.start_run(%s, '')", (ORG,), "22023"),
    ("upper-case integration", "SELECT runlog.start_run(%s, 'Xledger')", (ORG,), "22023"),
    ("spaces in integration", "SELECT runlog.start_run(%s, 'x ledger')", (ORG,), "22023"),
    ("65-char integration", "SELECT runlog.start_run(%s, %s)", (ORG, "a" * 65), "22023"),
    ("10,000-char integration", "SELECT runlog.start_run(%s, %s)", (ORG, "a" * 10_000), "22023"),
    ("NULL integration", "SELECT runlog.start_run(%s, NULL)", (ORG,), "22023"),
    ("bad trigger", "SELECT runlog.start_run(%s, 'xledger', 'cron')", (ORG,), "22023"),
    ("NULL trigger", "SELECT runlog.start_run(%s, 'xledger', NULL)", (ORG,), "22023"),
    ("infinite slot", "SELECT runlog.start_run(%s, 'xledger', 'scheduler', 'infinity')",
     (ORG,), "22023"),
    ("empty key", "SELECT runlog.start_run(%s, 'xledger', 'manual', NULL, '')", (ORG,), "22023"),
    ("256-char key", "SELECT runlog.request_sync(%s, 'xledger', 'manual', NULL, %s)",
     (ORG, "k" * 256), "22023"),
    ("request NULL org", "SELECT runlog.request_sync(NULL, 'xledger')", (), "22023"),
    ("request bad trigger", "SELECT runlog.request_sync(%s, 'xledger', 'x')", (ORG,), "22023"),
    ("finish bad status", "SELECT runlog.finish_run(1, 'ok')", (), "22023"),
    ("finish negative processed", "SELECT runlog.finish_run(1, 'succeeded', -1)", (), "22023"),
    ("finish negative failed", "SELECT runlog.finish_run(1, 'succeeded', 0, -5)", (), "22023"),
    ("finish unknown run", "SELECT runlog.finish_run(999999, 'succeeded')", (), "RL004"),
    ("heartbeat negative", "SELECT runlog.heartbeat(1, -1)", (), "22023"),
    ("heartbeat unknown run", "SELECT runlog.heartbeat(999999)", (), "RL004"),
    ("cancel unknown run", "SELECT runlog.cancel_run(999999)", (), "RL004"),
    ("claim NULL worker", "SELECT runlog.claim_next(NULL)", (), "22023"),
    ("claim empty worker", "SELECT runlog.claim_next('')", (), "22023"),
    ("claim 201-char worker", "SELECT runlog.claim_next(%s)", ("w" * 201,), "22023"),
    ("history NULL org", "SELECT * FROM runlog.run_history(NULL)", (), "22023"),
    ("history bad max_rows", "SELECT * FROM runlog.run_history(%s, NULL, 0)", (ORG,), "22023"),
    ("last_runs no org", "SELECT * FROM runlog.last_runs(NULL)", (), "22023"),
]  # fmt: skip


@pytest.fixture
def existing(conn: Conn) -> list[dict[str, object]]:
    """A stored history the bad calls must leave untouched (run 1 is running)."""
    call(conn, "SELECT * FROM runlog.start_run(%s, 'xledger')", ORG)
    done = call(conn, "SELECT * FROM runlog.start_run(%s, 'visma')", ORG)
    call(conn, "SELECT * FROM runlog.finish_run(%s, 'failed', 3, 1, 'boom')", done["id"])
    call(conn, "SELECT * FROM runlog.request_sync(%s, 'tripletex')", ORG)
    return all_runs(conn)


@pytest.mark.parametrize(("what", "sql", "params", "sqlstate"), BAD_CALLS,
                         ids=[c[0] for c in BAD_CALLS])  # fmt: skip
def test_bad_input_gets_its_documented_error_and_changes_nothing(
    conn: Conn,
    existing: list[dict[str, object]],
    what: str,
    sql: str,
    params: tuple[object, ...],
    sqlstate: str,
) -> None:
    assert sqlstate_of(conn, sql, *params) == sqlstate, what
    assert all_runs(conn) == existing, f"{what} changed stored rows"


def test_error_messages_name_the_bad_value_but_stay_short(conn: Conn) -> None:
    import psycopg

    with pytest.raises(psycopg.Error) as info:
        conn.execute("SELECT runlog.start_run(%s, %s)", [ORG, "Z" * 10_000])
    message = info.value.diag.message_primary or ""
    assert "invalid integration_type 'ZZZZ" in message
    assert "(10000 characters)" in message
    assert len(message) < 200


def test_a_one_megabyte_error_message_is_stored_cut_to_2000(conn: Conn) -> None:
    run = call(conn, "SELECT * FROM runlog.start_run(%s, 'xledger')", ORG)
    row = call(conn, "SELECT * FROM runlog.finish_run(%s, 'failed', 0, 0, %s)", run["id"],
               "x" * 1_048_576)  # fmt: skip
    assert row["status"] == "failed"
    assert len(row["error_message"]) == 2000


def test_a_malformed_claim_is_an_invalid_argument(conn: Conn) -> None:
    conn.execute("SELECT set_config('request.jwt.claims', '{\"org_id\": \"nope\"}', false)")
    assert sqlstate_of(conn, "SELECT runlog.current_org_id()") == "22023"
    conn.execute("SELECT set_config('request.jwt.claims', 'not json', false)")
    assert sqlstate_of(conn, "SELECT runlog.current_org_id()") == "22023"


def psql_error(dsn: str, sql: str) -> str:
    """What psql prints for a failing statement, with its default verbosity and context."""
    done = subprocess.run(
        [str(find_bindir() / "psql"), "-X", "-d", dsn, "-c", sql],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode != 0, f"{sql} did not fail: {done.stdout}"
    return done.stderr


AS_ADMIN = [
    # (sql, what the message says, what the hint says)
    (f"SELECT * FROM runlog.set_schedule('{ORG}', 'xledger', '0 9-9 * * *')",
     "'9-9' is a range of one value", "Write 9 alone"),
    (f"SELECT * FROM runlog.set_schedule('{ORG}', 'xledger', '0 9 * * *', 'UTC+3')",
     "time zone 'UTC+3' is a POSIX offset, not an IANA zone name: PostgreSQL would read it"
     " as UTC-3",
     "For UTC+3 write Etc/GMT-3"),
    (f"SELECT * FROM runlog.set_schedule('{ORG}', 'xledger', '0 9 * * *', 'Europe/Olso')",
     "unknown time zone 'Europe/Olso'", "IANA zone name"),
    # what psycopg sends for timedelta(seconds=-5), as `--prewarm-lead -5` does
    (f"SELECT * FROM runlog.set_schedule('{ORG}', 'xledger', '0 9 * * *',"
     " prewarm_lead => '-1 days +23:59:55')",
     "prewarm_lead must be between 0 and 1 hour, got -5 seconds", "pre-warm signal"),
    (f"SELECT * FROM runlog.set_schedule('{ORG}', 'xledger', '0 0 30 2 *')",
     "cron expression '0 0 30 2 *' never fires", "30 February"),
    (f"SELECT * FROM runlog.set_schedule('{ORG}', 'Xledger', '* * * * *')",
     "invalid integration_type 'Xledger'", "lower snake case"),
    (f"SELECT * FROM runlog.enable_schedule('{ORG}', 'xledger')",
     "no schedule for 'xledger' of organisation", "runlog.sync_schedule"),
    (f"SELECT * FROM runlog.disable_schedule('{ORG}', 'xledger')",
     "no schedule for 'xledger' of organisation", "runlog.sync_schedule"),
    (f"SELECT * FROM runlog.delete_schedule('{ORG}', 'xledger')",
     "no schedule for 'xledger' of organisation", "runlog.sync_schedule"),
    (f"SELECT * FROM runlog.resume_schedule('{ORG}', 'xledger')",
     "no schedule for 'xledger' of organisation", "runlog.sync_schedule"),
    ("SELECT * FROM runlog.next_slots('0 0 L * *')", "bad value 'l'", "not supported"),
    ("SELECT * FROM runlog.next_slots('* * * * *', 'UTC', now(), 0)",
     "n must be between 1 and 1000, got 0", "how many slots"),
    ("SELECT runlog.parse_cron('0 0 * * 8')", "'8' is outside 0-7", "day-of-week"),
    ("SELECT * FROM runlog.set_health_mode('xledger', 'on')", "invalid health mode 'on'",
     "active, passive or disabled"),
    ("SELECT runlog.prune('5 minutes')", "older_than must be at least 1 hour, got 00:05:00",
     "settings.retention"),
    # as a worker may, too: runlog_admin is a member of runlog_worker
    ("SELECT * FROM runlog.start_run(NULL, 'xledger')", "org_id must not be NULL",
     "organisation's uuid"),
    ("SELECT * FROM runlog.heartbeat(999999, -1)", "records_processed must not be negative, got -1",
     "NULL keeps the stored count"),
    ("SELECT * FROM runlog.heartbeat(999999)", "run 999999 not found", "No run has this id"),
    ("SELECT * FROM runlog.cancel_run(NULL)", "run_id must not be NULL", "queued or running"),
    # the test cluster preloads pg_cron for another database (tests/conftest.py)
    ("SELECT * FROM runlog.install_cron_jobs()",
     "pg_cron is loaded but runs its jobs in database pyrunlog, not in",
     "Set cron.database_name ="),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "message", "hint"), AS_ADMIN, ids=[c[1][:40] for c in AS_ADMIN])
def test_a_dba_in_psql_sees_message_and_hint_without_the_helper_chain(
    admin_dsn: str, sql: str, message: str, hint: str
) -> None:
    printed = psql_error(admin_dsn, sql)
    lines = printed.splitlines()
    assert lines[0].startswith("ERROR:  "), printed
    assert message in lines[0], printed
    assert any(line.startswith("HINT:  ") and hint in line for line in lines), printed
    context = [line for line in lines if not line.startswith(("ERROR:", "HINT:", "DETAIL:"))]
    # at most one line, naming the function the DBA called, never an internal
    # helper, another public function or the SQL that called it
    assert len(context) <= 1, printed
    called = sql.split("runlog.")[1].split("(")[0]
    assert all(f"runlog.{called}(" in line for line in context), printed


def test_finishing_run_null_says_run_id_must_not_be_null(worker_dsn: str) -> None:
    printed = psql_error(worker_dsn, "SELECT * FROM runlog.finish_run(NULL, 'succeeded')")
    assert printed.startswith("ERROR:  run_id must not be NULL\n"), printed
    assert "HINT:  Pass the id that start_run, claim_next or claim_runs returned" in printed


def test_schedule_functions_return_rows_that_read_well_in_psql(admin_dsn: str) -> None:
    """No parsed cron arrays: the schedule as written, its policies and its slots."""
    columns = [
        "id", "org_id", "integration_type", "cron", "time_zone", "enabled", "catch_up",
        "prewarm_lead", "next_slot", "last_slot", "updated_at",
    ]  # fmt: skip
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        for sql in [
            "SELECT * FROM runlog.set_schedule(%s, 'xledger', '0 6 * * mon-fri', 'Europe/Oslo')",
            "SELECT * FROM runlog.disable_schedule(%s, 'xledger')",
            "SELECT * FROM runlog.enable_schedule(%s, 'xledger')",
            "SELECT * FROM runlog.delete_schedule(%s, 'xledger')",
        ]:
            cursor = conn.execute(sql, [ORG])
            row = cursor.fetchone()
            assert [c.name for c in cursor.description or []] == columns, sql
            assert row is not None
            assert (row[3], row[4]) == ("0 6 * * mon-fri", "Europe/Oslo")
        shown = conn.execute(
            "SELECT runlog.set_schedule(%s, 'visma', '*/15 6-18 * * *')::text", [ORG]
        ).fetchone()
    assert shown is not None
    assert "{" not in shown[0], shown
