"""Bad input gets its documented error and leaves stored rows unchanged."""

from __future__ import annotations

import uuid

import pytest

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
