"""A schema owner that is not a superuser, as docs/operations.md deploys it.

The runlog functions that install and read the pg_cron jobs are SECURITY
DEFINER: they reach schema cron as the schema owner, which pg_cron lets in
only with USAGE on schema cron. Without it every such call names the grant.

The superuser creates the database, the owner role and schema ``cron``
(pg_cron can only be created in the session's cron database, which is
migrated as the superuser; a schema ``cron`` with pg_cron's privileges, no
USAGE for anyone else, stands in for it here). Everything else runs as the
owner and as a runlog_admin login.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from click.testing import CliRunner
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pyrunlog.cli import cli
from pyrunlog.doctor import Level, diagnose
from pyrunlog.migrate import migrate
from tests.sql.test_bad_input import psql_error

OWNER_GRANT = "GRANT USAGE ON SCHEMA cron TO"


@pytest.fixture
def owned_dsn(empty_dsn: str) -> Iterator[str]:
    """A database migrated by a CREATEROLE login that is not a superuser."""
    owner = f"owner_{uuid.uuid4().hex[:10]}"
    database = conninfo_to_dict(empty_dsn)["dbname"]
    with psycopg.connect(empty_dsn, autocommit=True) as superuser:
        superuser.execute(f'CREATE ROLE "{owner}" LOGIN CREATEROLE')
        superuser.execute(f'GRANT CREATE ON DATABASE "{database}" TO "{owner}"')
        superuser.execute("CREATE SCHEMA cron")  # as pg_cron leaves it: no USAGE for others
    migrate(make_conninfo(empty_dsn, user=owner))
    yield make_conninfo(empty_dsn, user=owner)
    with psycopg.connect(empty_dsn, autocommit=True) as superuser:
        superuser.execute(f'DROP OWNED BY "{owner}" CASCADE')
        superuser.execute(f'DROP ROLE "{owner}"')


def test_cron_functions_name_the_grant_the_owner_needs(
    owned_dsn: str, login_role: Callable[[str], str]
) -> None:
    owner = conninfo_to_dict(owned_dsn)["user"]
    admin = make_conninfo(owned_dsn, user=login_role("runlog_admin"))
    for sql in (
        "SELECT * FROM runlog.install_cron_jobs()",
        "SELECT * FROM runlog.uninstall_cron_jobs()",
        "SELECT * FROM runlog.scheduler_status()",
        "SELECT * FROM runlog.cron_job_status()",
        "SELECT runlog.prune()",
    ):
        printed = psql_error(admin, sql)
        assert printed.startswith(
            f"ERROR:  the owner of schema runlog, {owner}, may not use schema cron\n"
        ), printed
        assert f"HINT:  As a superuser: {OWNER_GRANT} {owner};" in printed, printed
        assert "runlog._" not in printed, "raised by the function called, not a helper"

    result = CliRunner().invoke(cli, ["cron", "install", "--dsn", admin])
    assert result.exit_code == 1
    assert f"may not use schema cron ({'As a superuser: ' + OWNER_GRANT} {owner};" in (
        result.output
    )


def test_doctor_as_runlog_admin_reports_the_missing_grant(
    owned_dsn: str, login_role: Callable[[str], str]
) -> None:
    owner = conninfo_to_dict(owned_dsn)["user"]
    admin = make_conninfo(owned_dsn, user=login_role("runlog_admin"))
    with psycopg.connect(admin, autocommit=True) as conn:
        found = {f.check: f for f in diagnose(conn)}
    scheduler = found["scheduler"]
    assert scheduler.level is Level.FAIL
    assert scheduler.message == f"the owner of schema runlog, {owner}, may not use schema cron"
    assert scheduler.fix is not None
    assert f"{OWNER_GRANT} {owner};" in scheduler.fix
    assert found["health"].level is Level.OK, "the checks after it still run"
