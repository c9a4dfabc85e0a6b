"""pyrunlog: a Postgres-native run log and scheduler for data syncs."""

from __future__ import annotations

from pyrunlog.aio import AsyncRunContext, AsyncRunLog
from pyrunlog.errors import (
    AlreadyRunning,
    ConnectionFailed,
    DuplicatePeriod,
    InvalidArgument,
    LockTimeout,
    MigrationError,
    NotRunning,
    PermissionDenied,
    RunLogError,
    RunNotFound,
)
from pyrunlog.migrate import migrate
from pyrunlog.models import RunStatus, SyncRun, Trigger
from pyrunlog.repository import RunContext, RunLog

__version__ = "0.1.0"

__all__ = [
    "AlreadyRunning",
    "AsyncRunContext",
    "AsyncRunLog",
    "ConnectionFailed",
    "DuplicatePeriod",
    "InvalidArgument",
    "LockTimeout",
    "MigrationError",
    "NotRunning",
    "PermissionDenied",
    "RunContext",
    "RunLog",
    "RunLogError",
    "RunNotFound",
    "RunStatus",
    "SyncRun",
    "Trigger",
    "__version__",
    "migrate",
]
