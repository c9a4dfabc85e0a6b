"""Row-level security: a reader sees and touches only its own organisation."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from pyrunlog import RunLog
from tests.helpers import Conn, call, connect_as, sqlstate_of

ORG_A = uuid.UUID("00000000-0000-4000-8000-00000000000a")
ORG_B = uuid.UUID("00000000-0000-4000-8000-00000000000b")


@pytest.fixture
def history(conn: Conn) -> None:
    """Both organisations have ended, running and queued runs."""
    for org in (ORG_A, ORG_B):
        for kind in ("xledger", "visma"):
            run = call(conn, "SELECT * FROM runlog.start_run(%s, %s)", org, kind)
            call(conn, "SELECT * FROM runlog.finish_run(%s, 'failed', 1, 1, 'secret')", run["id"])
        call(conn, "SELECT * FROM runlog.start_run(%s, 'xledger')", org)
        call(conn, "SELECT * FROM runlog.request_sync(%s, 'dynamics_365')", org)


@pytest.fixture
def reader(dsn: str, login_role: Callable[[str], str], history: None) -> Iterator[Conn]:
    """A login role in runlog_reader, connected with org A's claim."""
    with connect_as(dsn, login_role("runlog_reader"), ORG_A) as connection:
        yield connection


def orgs_of(conn: Conn, sql: str, *params: object) -> set[uuid.UUID]:
    return {row[0] for row in conn.execute(sql, params)}


def test_reader_sees_only_its_organisation_in_the_table(reader: Conn) -> None:
    assert orgs_of(reader, "SELECT org_id FROM runlog.sync_run_log") == {ORG_A}


def test_reader_sees_only_its_organisation_through_last_runs(reader: Conn) -> None:
    assert orgs_of(reader, "SELECT org_id FROM runlog.last_runs()") == {ORG_A}
    assert orgs_of(reader, "SELECT org_id FROM runlog.last_runs(%s)", ORG_B) == set()


def test_reader_sees_only_its_organisation_through_run_history(reader: Conn) -> None:
    assert orgs_of(reader, "SELECT org_id FROM runlog.run_history(%s)", ORG_A) == {ORG_A}
    assert orgs_of(reader, "SELECT org_id FROM runlog.run_history(%s)", ORG_B) == set()


# Every table and view: tests/security/test_attacks.py::test_a_reader_sees_no_other_*


def test_reader_without_a_claim_sees_nothing(dsn: str, login_role: Callable[[str], str],
                                             history: None) -> None:  # fmt: skip
    with connect_as(dsn, login_role("runlog_reader"), None) as connection:
        assert orgs_of(connection, "SELECT org_id FROM runlog.sync_run_log") == set()


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO runlog.sync_run_log (org_id, integration_type, status, triggered_by)"
        " VALUES ('00000000-0000-4000-8000-00000000000a', 'x', 'queued', 'manual')",
        "UPDATE runlog.sync_run_log SET records_failed = 0",
        "DELETE FROM runlog.sync_run_log",
    ],
    ids=["insert", "update", "delete"],
)
def test_reader_cannot_write_the_table(reader: Conn, sql: str) -> None:
    assert sqlstate_of(reader, sql) == "42501"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT runlog.start_run('00000000-0000-4000-8000-00000000000a', 'xledger')",
        "SELECT runlog.finish_run(1, 'succeeded')",
        "SELECT runlog.heartbeat(1)",
        "SELECT runlog.claim_next('me')",
        "SELECT runlog.cancel_run(1)",
    ],
    ids=["start_run", "finish_run", "heartbeat", "claim_next", "cancel_run"],
)
def test_reader_cannot_call_worker_functions(reader: Conn, sql: str) -> None:
    assert sqlstate_of(reader, sql) == "42501"


def test_reader_may_request_a_sync_for_its_own_organisation_only(
    reader: Conn, conn: Conn, runlog: RunLog
) -> None:
    runlog.set_schedule(ORG_A, "visma", "0 6 * * *")  # readers request scheduled integrations
    own = reader.execute("SELECT (runlog.request_sync(%s, 'visma')).status", [ORG_A]).fetchone()
    assert own == ("queued",)
    before = conn.execute("SELECT count(*) FROM runlog.sync_run_log").fetchone()
    assert sqlstate_of(reader, "SELECT runlog.request_sync(%s, 'visma')", ORG_B) == "42501"
    assert conn.execute("SELECT count(*) FROM runlog.sync_run_log").fetchone() == before


def test_worker_sees_and_runs_every_organisation(dsn: str, login_role: Callable[[str], str],
                                                 history: None) -> None:  # fmt: skip
    with connect_as(dsn, login_role("runlog_worker"), None) as worker:
        assert orgs_of(worker, "SELECT org_id FROM runlog.sync_run_log") == {ORG_A, ORG_B}
        claimed = worker.execute("SELECT (runlog.claim_next('w')).org_id").fetchone()
        assert claimed is not None
        assert claimed[0] in (ORG_A, ORG_B)
        assert sqlstate_of(worker, "DELETE FROM runlog.sync_run_log") == "42501"
