"""A login bound to one organisation sees and requests for it only, whatever it claims."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable

import psycopg
import pytest
from click.testing import CliRunner

from pyrunlog import RunLog
from pyrunlog.cli.main import cli
from tests.conftest import Server
from tests.helpers import Conn, connect_as, sqlstate_of
from tests.security.conftest import HOME, VICTIM, victim_works


@pytest.fixture
def both_work(runlog: RunLog) -> None:
    """Both organisations have runs, schedules, pre-warms, health and alerts."""
    victim_works(runlog)
    runlog.set_schedule(HOME, "xledger", "0 6 * * *")
    runlog.set_schedule(HOME, "tripletex", "0 7 * * *")  # what the tenant may request
    run = runlog.start_run(HOME, "xledger")
    runlog.finish_run(run.id, "succeeded")


def claim(conn: Conn, org: object) -> None:
    conn.execute(
        "SELECT set_config('request.jwt.claims', %s, false)", [json.dumps({"org_id": str(org)})]
    )


def orgs_seen(conn: Conn, superuser: Conn) -> set[object]:
    """Every organisation the connection sees in any runlog table, view or reader function."""
    relations = [
        row[0]
        for row in superuser.execute(
            "SELECT format('%I.%I', table_schema, table_name) FROM information_schema.columns"
            " WHERE table_schema = 'runlog' AND column_name = 'org_id'"
        )
    ]
    seen: set[object] = set()
    for relation in relations:
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):  # operators' tables
            seen |= {r[0] for r in conn.execute(f"SELECT DISTINCT org_id FROM {relation}")}
    for sql in (
        "SELECT org_id FROM runlog.last_runs(%s)",
        "SELECT org_id FROM runlog.run_history(%s)",
        "SELECT org_id FROM runlog.health_overview(%s) WHERE state <> 'unknown'",
    ):
        for org in (HOME, VICTIM, None):
            seen |= {r[0] for r in conn.execute(sql, [org])}
    return seen - {None}


@pytest.mark.parametrize("set_role", [False, True], ids=["claim", "set-role-then-claim"])
def test_a_bound_login_claiming_another_organisation_sees_only_its_own(
    dsn: str, conn: Conn, both_work: None, bound_login: Callable[..., str], set_role: bool
) -> None:
    login = bound_login(HOME)
    with connect_as(dsn, login, VICTIM) as tenant:
        if set_role:
            tenant.execute("SET ROLE runlog_reader")
            claim(tenant, VICTIM)
        assert tenant.execute("SELECT runlog.current_org_id()").fetchone() == (HOME,)
        assert orgs_seen(tenant, conn) == {HOME}
        assert sqlstate_of(tenant, "SELECT runlog.request_sync(%s, 'visma')", VICTIM) == "42501"
        assert sqlstate_of(tenant, "SELECT runlog.request_sync(%s, 'tripletex')", HOME) is None
    queued = conn.execute(
        "SELECT org_id FROM runlog.sync_run_log WHERE integration_type = 'tripletex'"
    ).fetchall()
    assert queued == [(HOME,)]


def test_an_unbound_reader_still_acts_through_its_claim(
    dsn: str, conn: Conn, both_work: None, login_role: Callable[[str], str]
) -> None:
    """PostgREST and RunLog.for_org keep working: the claim decides for unbound logins."""
    with connect_as(dsn, login_role("runlog_reader"), VICTIM) as reader:
        assert orgs_seen(reader, conn) == {VICTIM}
        claim(reader, HOME)
        assert orgs_seen(reader, conn) == {HOME}


def test_unbinding_returns_a_login_to_its_claim(
    dsn: str, admin_dsn: str, conn: Conn, both_work: None, bound_login: Callable[..., str]
) -> None:
    login = bound_login(HOME)
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        assert admin.execute("SELECT runlog.unbind_login(%s)", [login]).fetchone() == (True,)
        assert admin.execute("SELECT runlog.unbind_login(%s)", [login]).fetchone() == (False,)
    with connect_as(dsn, login, VICTIM) as tenant:
        assert orgs_seen(tenant, conn) == {VICTIM}


def test_only_admins_bind_and_the_bindings_are_theirs_to_read(
    dsn: str,
    worker_dsn: str,
    admin_dsn: str,
    login_role: Callable[[str], str],
    bound_login: Callable[..., str],
) -> None:
    login = bound_login(HOME)
    with connect_as(dsn, login, None) as tenant:
        assert sqlstate_of(tenant, "SELECT * FROM runlog.org_logins") == "42501"
        assert sqlstate_of(tenant, "SELECT runlog.bind_login(%s, %s)", login, VICTIM) == "42501"
        assert sqlstate_of(tenant, "SELECT runlog.unbind_login(%s)", login) == "42501"
        assert sqlstate_of(tenant, "DELETE FROM runlog.org_logins") == "42501"
    with psycopg.connect(worker_dsn, autocommit=True) as worker:
        assert sqlstate_of(worker, "SELECT runlog.bind_login(%s, %s)", login, VICTIM) == "42501"
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        rows = admin.execute("SELECT login, org_id FROM runlog.org_logins").fetchall()
        assert rows == [(login, HOME)]


@pytest.mark.parametrize("member_of", ["runlog_worker", "runlog_admin"])
def test_operators_cannot_be_bound(
    admin_dsn: str, login_role: Callable[[str], str], member_of: str
) -> None:
    """An operator acts for every organisation; binding it would only pretend otherwise."""
    operator = login_role(member_of)
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        with pytest.raises(psycopg.Error, match="cannot be bound") as info:
            admin.execute("SELECT runlog.bind_login(%s, %s)", [operator, HOME])
        assert info.value.sqlstate == "22023"
        with pytest.raises(psycopg.Error, match="no LOGIN role") as info:
            admin.execute("SELECT runlog.bind_login('runlog_reader', %s)", [HOME])
        assert info.value.sqlstate == "22023"


def test_the_cli_binds_and_unbinds_a_login(
    dsn: str, admin_dsn: str, conn: Conn, both_work: None, login_role: Callable[[str], str]
) -> None:
    login = login_role("runlog_reader")
    bound = CliRunner().invoke(cli, ["login", "bind", "--dsn", admin_dsn, login, str(HOME)])
    assert bound.exit_code == 0, bound.output
    assert f"{login} is bound to organisation {HOME}" in bound.output
    with connect_as(dsn, login, VICTIM) as tenant:
        assert orgs_seen(tenant, conn) == {HOME}
    unbound = CliRunner().invoke(cli, ["login", "unbind", "--dsn", admin_dsn, login])
    assert unbound.exit_code == 0, unbound.output
    assert f"{login} is no longer bound" in unbound.output


def test_a_renamed_login_stays_bound(
    dsn: str, server: Server, admin_dsn: str, bound_login: Callable[..., str]
) -> None:
    """The superuser renames the role (as a DBA would): the binding follows it."""
    login = bound_login(HOME)
    renamed = f"{login}_renamed"
    with server.admin() as superuser:
        superuser.execute(f'ALTER ROLE "{login}" RENAME TO "{renamed}"')
    try:
        with connect_as(dsn, renamed, VICTIM) as tenant:
            assert tenant.execute("SELECT runlog.current_org_id()").fetchone() == (HOME,)
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            rows = admin.execute("SELECT login::text, org_id FROM runlog.org_logins").fetchall()
            assert rows == [(renamed, HOME)]
    finally:
        with server.admin() as superuser:
            superuser.execute(f'ALTER ROLE "{renamed}" RENAME TO "{login}"')


def test_a_role_created_under_a_dropped_bound_roles_name_is_not_bound(
    dsn: str, server: Server, admin_dsn: str
) -> None:
    """The superuser drops and creates roles (only it may); the new role acts by its claim."""
    name = f"login_{uuid.uuid4().hex[:10]}"
    with server.admin() as superuser:
        superuser.execute(f'CREATE ROLE "{name}" LOGIN IN ROLE runlog_reader')
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute("SELECT runlog.bind_login(%s, %s)", [name, HOME])
    with server.admin() as superuser:
        superuser.execute(f'DROP ROLE "{name}"')
        superuser.execute(f'CREATE ROLE "{name}" LOGIN IN ROLE runlog_reader')
    try:
        with connect_as(dsn, name, VICTIM) as newcomer:
            assert newcomer.execute("SELECT runlog.current_org_id()").fetchone() == (VICTIM,)
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            assert admin.execute("SELECT runlog.unbind_login(%s)", [name]).fetchone() == (False,)
            admin.execute("SELECT runlog.bind_login(%s, %s)", [name, VICTIM])
            rows = admin.execute("SELECT login::text, org_id FROM runlog.org_logins").fetchall()
            assert rows == [(name, VICTIM)], "binding tidied the dropped role's row"
    finally:
        with server.admin() as superuser:
            superuser.execute(f'DROP ROLE "{name}"')
