"""Fixtures: one PostgreSQL with pg_cron per session, a fresh database per test.

The cluster is the throwaway one of pyrunlog.localpg, or the server that
PYRUNLOG_TEST_DSN names (it must allow CREATE DATABASE and CREATE ROLE).
A template database is migrated once; each test gets a copy of it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pyrunlog.localpg import LocalPostgres
from pyrunlog.migrate import migrate
from pyrunlog.repository import RunLog

TEMPLATE = "pyrunlog_template"


@dataclass
class Server:
    """A PostgreSQL server the tests may create databases and roles on."""

    admin_dsn: str
    cluster: LocalPostgres | None = None

    def dsn(self, dbname: str, **overrides: str) -> str:
        return make_conninfo(self.admin_dsn, dbname=dbname, **overrides)

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.admin_dsn, autocommit=True)

    def create_database(self, template: str = "template0") -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    external = os.environ.get("PYRUNLOG_TEST_DSN")
    if external:
        admin = make_conninfo(external, dbname=conninfo_to_dict(external).get("dbname", "postgres"))
        yield Server(admin)
        return
    with LocalPostgres() as cluster:
        yield Server(cluster.dsn("postgres"), cluster)


@pytest.fixture
def cluster(server: Server) -> LocalPostgres:
    """The throwaway cluster, for tests that restart it (skipped on PYRUNLOG_TEST_DSN)."""
    if server.cluster is None:
        pytest.skip("needs the throwaway cluster to restart")
    return server.cluster


@pytest.fixture(scope="session")
def template(server: Server) -> str:
    server.drop_database(TEMPLATE)
    with server.admin() as conn:
        conn.execute(f'CREATE DATABASE "{TEMPLATE}" TEMPLATE template0')
    migrate(server.dsn(TEMPLATE))
    return TEMPLATE


@pytest.fixture
def dsn(server: Server, template: str) -> Iterator[str]:
    """A fresh, migrated database of its own for one test."""
    name = server.create_database(template)
    yield server.dsn(name)
    server.drop_database(name)


@pytest.fixture
def empty_dsn(server: Server) -> Iterator[str]:
    """A fresh database with no schema, for migration tests."""
    name = server.create_database()
    yield server.dsn(name)
    server.drop_database(name)


@pytest.fixture
def conn(dsn: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A superuser connection to the test database, autocommit."""
    with psycopg.connect(dsn, autocommit=True) as connection:
        yield connection


@dataclass(frozen=True)
class Logins:
    """LOGIN roles that hold only one documented runlog role each, as a deployment has."""

    worker: str = "pyrunlog_test_worker"
    admin: str = "pyrunlog_test_admin"
    reader: str = "pyrunlog_test_reader"


@pytest.fixture(scope="session")
def logins(server: Server, template: str) -> Logins:
    """Create the three test logins once per session (the roles exist after migrating)."""
    names = Logins()
    with server.admin() as admin:
        for login, role in (
            (names.worker, "runlog_worker"),
            (names.admin, "runlog_admin"),
            (names.reader, "runlog_reader"),
        ):
            admin.execute(f'DROP ROLE IF EXISTS "{login}"')
            admin.execute(f'CREATE ROLE "{login}" LOGIN IN ROLE {role}')
    return names


@pytest.fixture
def worker_dsn(dsn: str, logins: Logins) -> str:
    """The test database as a login holding only runlog_worker."""
    return make_conninfo(dsn, user=logins.worker)


@pytest.fixture
def admin_dsn(dsn: str, logins: Logins) -> str:
    """The test database as a login holding only runlog_admin."""
    return make_conninfo(dsn, user=logins.admin)


@pytest.fixture
def reader_dsn(dsn: str, logins: Logins) -> str:
    """The test database as a login holding only runlog_reader (set a claim to read)."""
    return make_conninfo(dsn, user=logins.reader)


@pytest.fixture
def runlog(admin_dsn: str) -> Iterator[RunLog]:
    """RunLog as a runlog_admin login: schedules, settings, prune, tick, as operators use it."""
    with RunLog(admin_dsn) as repository:
        yield repository


@pytest.fixture
def login_role(server: Server) -> Iterator[Callable[[str], str]]:
    """Create LOGIN roles that are members of the given runlog role; dropped afterwards."""
    created: list[str] = []

    def make(member_of: str) -> str:
        name = f"login_{uuid.uuid4().hex[:10]}"
        with server.admin() as admin:
            admin.execute(f'CREATE ROLE "{name}" LOGIN IN ROLE {member_of}')
        created.append(name)
        return name

    yield make
    with server.admin() as admin:
        for name in created:
            admin.execute(f'DROP ROLE "{name}"')


def new_org() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture(scope="session")
def cron_database(server: Server) -> str:
    """The database pg_cron runs in (cron.database_name), migrated, with pg_cron.

    Only the throwaway cluster has one the tests may use freely.
    """
    if server.cluster is None:
        pytest.skip("pg_cron tests need the throwaway cluster (PYRUNLOG_TEST_DSN is set)")
    from pyrunlog.localpg import CRON_DATABASE

    dsn = server.dsn(CRON_DATABASE)
    migrate(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_cron")
    return dsn


@pytest.fixture
def cron_dsn(cron_database: str) -> Iterator[str]:
    """The pg_cron database, emptied of runlog rows and jobs before and after a test."""

    def reset() -> None:
        with psycopg.connect(cron_database, autocommit=True) as conn:
            conn.execute("SELECT runlog.uninstall_cron_jobs()")
            conn.execute("SELECT cron.unschedule(jobname) FROM cron.job")
            conn.execute(
                "TRUNCATE runlog.sync_run_log, runlog.sync_schedule, runlog.schedule_slot,"
                " runlog.prewarm_log, cron.job_run_details"
            )

    reset()
    yield cron_database
    reset()


@pytest.fixture(scope="session")
def monitor_login(server: Server, template: str) -> str:
    """A LOGIN role holding only runlog_monitor (the exporter's role), once per session."""
    name = "pyrunlog_test_monitor"
    with server.admin() as admin:
        admin.execute(f'DROP ROLE IF EXISTS "{name}"')
        admin.execute(f'CREATE ROLE "{name}" LOGIN IN ROLE runlog_monitor')
    return name


@pytest.fixture
def monitor_dsn(dsn: str, monitor_login: str) -> str:
    """The test database as a login holding only runlog_monitor."""
    return make_conninfo(dsn, user=monitor_login)
