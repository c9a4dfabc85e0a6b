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
from pyrunlog.failures import (
    AuthError,
    ConfigError,
    RateLimited,
    SyncFailure,
    TransientError,
    error_for_status,
    parse_retry_after,
    raise_for_status,
)
from pyrunlog.migrate import migrate
from pyrunlog.models import RunStatus, SyncRun, Trigger
from pyrunlog.repository import RunContext, RunLog

__version__ = "0.1.0"

__all__ = [
    "AlreadyRunning",
    "AsyncRunContext",
    "AsyncRunLog",
    "AuthError",
    "ConfigError",
    "ConnectionFailed",
    "DuplicatePeriod",
    "InvalidArgument",
    "LockTimeout",
    "MigrationError",
    "NotRunning",
    "PermissionDenied",
    "RateLimited",
    "RunContext",
    "RunLog",
    "RunLogError",
    "RunNotFound",
    "RunStatus",
    "SyncFailure",
    "SyncRun",
    "TransientError",
    "Trigger",
    "__version__",
    "error_for_status",
    "migrate",
    "parse_retry_after",
    "raise_for_status",
]
