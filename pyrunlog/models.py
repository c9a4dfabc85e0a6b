"""Typed rows and enums of the run log."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any


class RunStatus(str, enum.Enum):
    """The status of a run (CHECK constraint of runlog.sync_run_log.status)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"

    @property
    def ended(self) -> bool:
        """True for the statuses a run ends in."""
        return self not in (RunStatus.QUEUED, RunStatus.RUNNING)


class Trigger(str, enum.Enum):
    """Who asked for a run."""

    SCHEDULER = "scheduler"
    MANUAL = "manual"


@dataclass(frozen=True)
class SyncRun:
    """One row of runlog.sync_run_log."""

    id: int
    org_id: uuid.UUID
    integration_type: str
    status: RunStatus
    triggered_by: Trigger
    scheduled_for: datetime | None
    idempotency_key: str | None
    queued_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    heartbeat_at: datetime | None
    records_processed: int
    records_failed: int
    error_message: str | None
    worker_id: str | None
    duration_seconds: float | None
    drift_seconds: float | None
    failure_type: str | None = None
    attempt: int = 1
    retry_of: int | None = None
    run_after: datetime | None = None
    retry_decision: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> SyncRun:
        """Build from a dict row of the table (or of a function returning it)."""
        return cls(
            id=row["id"],
            org_id=row["org_id"],
            integration_type=row["integration_type"],
            status=RunStatus(row["status"]),
            triggered_by=Trigger(row["triggered_by"]),
            scheduled_for=row["scheduled_for"],
            idempotency_key=row["idempotency_key"],
            queued_at=row["queued_at"],
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            heartbeat_at=row["heartbeat_at"],
            records_processed=row["records_processed"],
            records_failed=row["records_failed"],
            error_message=row["error_message"],
            worker_id=row["worker_id"],
            duration_seconds=_to_float(row["duration_seconds"]),
            drift_seconds=_to_float(row["drift_seconds"]),
            failure_type=row.get("failure_type"),
            attempt=row.get("attempt", 1),
            retry_of=row.get("retry_of"),
            run_after=row.get("run_after"),
            retry_decision=row.get("retry_decision"),
        )


def _to_float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


class CatchUp(str, enum.Enum):
    """What a schedule does with slots missed during an outage."""

    NONE = "none"
    LATEST = "latest"
    ALL = "all"


@dataclass(frozen=True)
class Schedule:
    """One schedule: a row of runlog.sync_schedule with its runlog.schedule_slot."""

    id: int
    org_id: uuid.UUID
    integration_type: str
    cron: str
    time_zone: str
    enabled: bool
    catch_up: CatchUp
    prewarm_lead: timedelta
    next_slot: datetime | None
    last_slot: datetime | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Schedule:
        """Build from a dict row of runlog.sync_schedule."""
        return cls(
            id=row["id"],
            org_id=row["org_id"],
            integration_type=row["integration_type"],
            cron=row["cron"],
            time_zone=row["time_zone"],
            enabled=row["enabled"],
            catch_up=CatchUp(row["catch_up"]),
            prewarm_lead=row["prewarm_lead"],
            next_slot=row["next_slot"],
            last_slot=row["last_slot"],
        )


@dataclass(frozen=True)
class HealthRow:
    """One row of runlog.health_overview: the health of one integration."""

    org_id: uuid.UUID
    integration_type: str
    state: str
    mode: str
    consecutive_failures: int
    based_on: str | None
    last_check_at: datetime | None
    next_check_at: datetime | None
    last_error: str | None
    last_run_status: str | None
    last_run_started_at: datetime | None


@dataclass(frozen=True)
class Period:
    """One row of runlog.sync_periods: the attempts of one period, summed up."""

    org_id: uuid.UUID
    integration_type: str
    idempotency_key: str
    scheduled_for: datetime | None
    state: str
    attempts: int
    last_run_id: int
    last_status: str
    retry_at: datetime | None
    last_failure_type: str | None
    last_error: str | None
    dead_because: str | None
    first_attempt_at: datetime | None
    last_attempt_at: datetime | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Period:
        """Build from a dict row of the view."""
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})
