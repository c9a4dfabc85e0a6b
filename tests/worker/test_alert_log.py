"""The worker's sentences for alerts, from real rows of runlog.alert_log."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import psycopg
import pytest

from pyrunlog.repository import RunLog
from pyrunlog.worker import _log_alert

ORG = uuid.UUID("00000000-0000-4000-8000-0000000000a7")


def _check(worker: RunLog, dsn: str, ok: bool, after: int | None) -> dict[str, Any]:
    """Make the health check due (superuser: no API call moves time), claim and record it."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("UPDATE runlog.integration_health SET next_check_at = now()")
    [(org_id, integration, claimed_at)] = worker.claim_health_checks("w1", ["xledger"])
    worker.record_health_check(org_id, integration, ok, 12, None if ok else "HTTP 503", claimed_at)
    [alert] = worker.recent_alerts(after)
    return alert


def test_the_first_healthy_check_is_not_healthy_again(
    dsn: str, admin_dsn: str, worker_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    with RunLog(admin_dsn) as admin:
        admin.set_schedule(ORG, "xledger", "0 6 * * *", "UTC")
        admin.set_health_mode("xledger", "active")
    with (
        RunLog(worker_dsn) as worker,
        caplog.at_level(logging.INFO, logger="pyrunlog"),
    ):
        first = _check(worker, dsn, ok=True, after=None)
        _log_alert(first)
        down = _check(worker, dsn, ok=False, after=first["id"])
        _log_alert(down)
        back = _check(worker, dsn, ok=True, after=down["id"])
        _log_alert(back)
    where = f"xledger of {ORG}"
    assert caplog.messages == [
        f"health: {where} is healthy (active_check)",
        f"health: {where} is unhealthy (active_check): HTTP 503",
        f"health: {where} is healthy again (active_check)",
    ]
