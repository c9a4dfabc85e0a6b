"""Fixtures for the hostile-tenant tests: two organisations at work, tenant logins."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from pyrunlog import RunLog
from tests.helpers import Conn, connect_as

HOME = uuid.UUID("00000000-0000-4000-8000-0000000010a1")
VICTIM = uuid.UUID("00000000-0000-4000-8000-0000000010b2")
SECRET = "secret-of-the-victim"


@pytest.fixture
def admin_runlog(admin_dsn: str) -> Iterator[RunLog]:
    """The package as a runlog_admin login."""
    with RunLog(admin_dsn) as repository:
        yield repository


def victim_works(runlog: RunLog) -> set[str]:
    """The victim organisation does everything that notifies; the strings naming it."""
    runlog.set_schedule(VICTIM, "xledger", "* * * * *", prewarm_lead=timedelta(minutes=2))
    runlog.prewarm_signal()
    queued = runlog.request_sync(VICTIM, "visma")
    late = datetime.now(timezone.utc) - timedelta(hours=1)
    run = runlog.start_run(VICTIM, "xledger", "scheduler", late, "victim-period")
    runlog.finish_run(run.id, "failed", 1, 1, SECRET)  # drift alert, then health alert
    return {str(VICTIM), SECRET, "victim-period", str(queued.id), str(run.id)}


@pytest.fixture
def bound_login(
    dsn: str, admin_dsn: str, login_role: Callable[[str], str]
) -> Callable[[uuid.UUID], str]:
    """Create a runlog_reader LOGIN role bound (by an admin login) to an organisation."""

    def make(org: uuid.UUID) -> str:
        login = login_role("runlog_reader")
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute("SELECT runlog.bind_login(%s, %s)", [login, org])
        return login

    return make


@pytest.fixture
def tenant(dsn: str, login_role: Callable[[str], str]) -> Iterator[Conn]:
    """An unbound runlog_reader login with the home organisation's claim."""
    with connect_as(dsn, login_role("runlog_reader"), HOME) as conn:
        yield conn
