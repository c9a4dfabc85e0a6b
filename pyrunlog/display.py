"""Render runs for people: a rich table, and JSON for scripts."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from enum import Enum
from typing import Any
from uuid import UUID

from rich import box
from rich.table import Table
from rich.text import Text

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


FULL_ORG_WIDTH = 150
"""From this terminal width on, tables show organisation ids whole."""
SHORT_ORG = 8


def org_labels(org_ids: Iterable[UUID], width: int | None) -> dict[UUID, str]:
    """How a table names each organisation: the whole UUID where the terminal is
    wide enough (or its width unknown), else the shortest prefix of at least 8
    characters that tells every organisation in the table apart."""
    texts = {org_id: str(org_id) for org_id in org_ids}
    if width is None or width >= FULL_ORG_WIDTH:
        return texts
    size = SHORT_ORG
    while len({text[:size] for text in texts.values()}) < len(texts):
        size += 1
    return {org_id: text[:size] for org_id, text in texts.items()}


def runs_table(
    runs: Sequence[SyncRun],
    title: str | None = None,
    *,
    width: int | None = None,
    org_names: Mapping[UUID, str] | None = None,
    show_run: bool = True,
) -> Table:
    """A table of runs, one line each: organisation, integration, run, status, times, records,
    error; the attempt ("try") too when any run is a retry.

    Every column keeps its full text. Given the terminal's ``width``, the
    table fits it: below 110 columns it is compact (start time only, whole
    seconds, records as ok/failed), and the error is cut with an ellipsis.
    ``org_names`` shows names instead of the id (see :func:`org_labels`).
    """
    compact = width is not None and width < 110
    labels = org_labels({run.org_id for run in runs}, width) | dict(org_names or {})
    columns: list[tuple[str, str]] = [("org", "left"), ("integration", "left")]
    retried = show_run and any(run.attempt > 1 for run in runs)
    if show_run:
        columns += [("run", "right"), *([("try", "right")] if retried else [])]
    columns += [("status", "left"), ("started", "left"), ("took", "right")]
    columns += [("ok/failed", "right")] if compact else [("records", "right"), ("failed", "right")]
    columns.append(("drift", "right"))
    rows = [
        _run_cells(run, labels, show_run=show_run, attempt=retried, compact=compact) for run in runs
    ]
    fixed = [max([len(name), *(len(row[i]) for row in rows)])
             for i, (name, _) in enumerate(columns)]  # fmt: skip
    table = Table(
        title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True
    )
    for (name, justify), size in zip(columns, fixed, strict=True):
        table.add_column(
            name, justify=justify, no_wrap=True,  # type: ignore[arg-type]
            width=None if width is None else size,
        )  # fmt: skip
    error_width = None if width is None else max(5, width - sum(fixed) - 2 * len(fixed))
    table.add_column("error", no_wrap=True, overflow="ellipsis", max_width=error_width)
    status_at = [name for name, _ in columns].index("status")
    for run, cells in zip(runs, rows, strict=True):
        cells[status_at] = f"[{STATUS_STYLE[run.status]}]{cells[status_at]}[/]"
        error = Text(first_line(run.error_message), no_wrap=True, overflow="ellipsis")
        table.add_row(*cells, error)
    return table


def _run_cells(
    run: SyncRun,
    labels: Mapping[UUID, str],
    *,
    show_run: bool,
    attempt: bool,
    compact: bool,
) -> list[str]:
    """The plain texts of a run's cells, except the error."""
    org = labels[run.org_id]
    started = "-"
    if run.started_at:
        started = run.started_at.strftime("%H:%M:%S" if compact else "%Y-%m-%d %H:%M:%S")
    seconds = _whole_seconds if compact else _seconds
    cells = [org, run.integration_type, *([str(run.id)] if show_run else [])]
    cells += [str(run.attempt)] if attempt else []
    status = run.status.value
    if run.failure_type and not compact:
        status += f" ({run.failure_type})"
    cells += [status, started, seconds(run.duration_seconds)]
    if compact:
        cells.append(f"{run.records_processed}/{run.records_failed}")
    else:
        cells += [str(run.records_processed), str(run.records_failed)]
    cells.append(seconds(run.drift_seconds))
    return cells


def first_line(text: str | None) -> str:
    """The first line of a text, or an empty string."""
    return text.splitlines()[0] if text else ""


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}s"


def _whole_seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}s"


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


def schedules_table(schedules: Sequence[Schedule], *, width: int | None = None) -> Table:
    """A table of schedules with their next slot (organisations as :func:`org_labels`)."""
    labels = org_labels({item.org_id for item in schedules}, width)
    table = Table(title="schedules")
    for column in ("org", "integration", "cron", "zone", "catch-up", "enabled", "next slot"):
        table.add_column(column, no_wrap=column == "org")
    for item in schedules:
        table.add_row(
            labels[item.org_id],
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
