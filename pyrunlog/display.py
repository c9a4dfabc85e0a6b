"""Render runs for people: a rich table, and JSON for scripts."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import Enum
from typing import Any
from uuid import UUID

from rich.table import Table

from pyrunlog.models import Period, RunStatus, Schedule, SyncRun

STATUS_STYLE = {
    RunStatus.QUEUED: "cyan",
    RunStatus.RUNNING: "blue",
    RunStatus.SUCCEEDED: "green",
    RunStatus.PARTIAL: "yellow",
    RunStatus.FAILED: "red",
    RunStatus.CANCELLED: "magenta",
    RunStatus.TIMED_OUT: "red",
}


def runs_table(runs: Sequence[SyncRun], title: str | None = None) -> Table:
    """A table of runs: integration, status, start, duration, records, drift, error."""
    table = Table(title=title)
    for column in ("org", "integration", "run", "attempt", "status", "started", "duration",
                   "processed", "failed", "drift", "error"):  # fmt: skip
        table.add_column(column)
    for run in runs:
        table.add_row(
            str(run.org_id)[:8],
            run.integration_type,
            str(run.id),
            str(run.attempt),
            f"[{STATUS_STYLE[run.status]}]{run.status.value}[/]"
            + (f" ({run.failure_type})" if run.failure_type else ""),
            run.started_at.strftime("%Y-%m-%d %H:%M:%S") if run.started_at else "-",
            _seconds(run.duration_seconds),
            str(run.records_processed),
            str(run.records_failed),
            _seconds(run.drift_seconds),
            (run.error_message or "").splitlines()[0][:60] if run.error_message else "",
        )
    return table


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}s"


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, UUID)):
        return str(value) if isinstance(value, UUID) else value.isoformat()
    return value


def runs_json(runs: Sequence[SyncRun]) -> str:
    """The runs as a JSON array of objects with the table's column names."""
    return json.dumps(
        [{k: _plain(v) for k, v in dataclasses.asdict(run).items()} for run in runs], indent=2
    )


def schedules_table(schedules: Sequence[Schedule]) -> Table:
    """A table of schedules with their next slot."""
    table = Table(title="schedules")
    for column in ("org", "integration", "cron", "zone", "catch-up", "enabled", "next slot"):
        table.add_column(column)
    for item in schedules:
        table.add_row(
            str(item.org_id)[:8],
            item.integration_type,
            item.cron,
            item.time_zone,
            item.catch_up.value,
            "yes" if item.enabled else "no",
            item.next_slot.isoformat() if item.next_slot else "-",
        )
    return table


def schedules_json(schedules: Sequence[Schedule]) -> str:
    """The schedules as a JSON array."""
    return json.dumps(
        [
            {k: _plain(v) if not isinstance(v, timedelta) else v.total_seconds()
             for k, v in dataclasses.asdict(item).items()}
            for item in schedules
        ],
        indent=2,
    )  # fmt: skip


PERIOD_STYLE = {"succeeded": "green", "retry_pending": "cyan", "running": "blue", "dead": "red"}


def periods_table(periods: Sequence[Period], title: str | None = None) -> Table:
    """A table of periods: state, attempts, the last failure and why the period died."""
    table = Table(title=title)
    for column in ("org", "integration", "period", "state", "attempts", "last failure",
                   "dead because", "last attempt", "error"):  # fmt: skip
        table.add_column(column)
    for item in periods:
        table.add_row(
            str(item.org_id),
            item.integration_type,
            item.idempotency_key,
            f"[{PERIOD_STYLE.get(item.state, 'white')}]{item.state}[/]",
            str(item.attempts),
            item.last_failure_type or "-",
            item.dead_because or "-" if item.state == "dead" else "-",
            item.last_attempt_at.strftime("%Y-%m-%d %H:%M:%S") if item.last_attempt_at else "-",
            (item.last_error or "").splitlines()[0][:60] if item.last_error else "",
        )
    return table


def periods_json(periods: Sequence[Period]) -> str:
    """The periods as a JSON array of objects named like the view's columns."""
    return json.dumps(
        [{k: _plain(v) for k, v in dataclasses.asdict(item).items()} for item in periods], indent=2
    )
