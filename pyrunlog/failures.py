"""Why a sync failed: the exceptions handlers raise and the failure types they map to.

A handler raises ``TransientError`` (network, timeouts, 5xx), ``RateLimited``
(429, or 503 with Retry-After), ``AuthError`` (401/403, an expired or revoked
credential) or ``ConfigError`` (a bad mapping, a missing setting, a 4xx that
waiting will not change); any other exception is a ``system_error`` (a bug).
The retry policy in SQL decides what happens next (docs/retries.md).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

# Retry-After values beyond this are treated as this (a year); SQL caps further.
MAX_RETRY_AFTER = 365 * 86400.0


class SyncFailure(Exception):  # noqa: N818 - the base of the typed failures
    """A classified sync failure; ``failure_type`` is stored with the attempt."""

    failure_type = "system_error"


class TransientError(SyncFailure):
    """Network errors, timeouts, 5xx: retried with backoff."""

    failure_type = "transient_error"


class RateLimited(SyncFailure):
    """429 (or 503 with Retry-After): the integration is held, no attempt is used up."""

    failure_type = "rate_limited"

    def __init__(self, message: str = "rate limited", retry_after: float | None = None) -> None:
        super().__init__(message)
        if retry_after is not None and not (0 <= retry_after < math.inf):
            raise ValueError(f"retry_after must be a non-negative number, got {retry_after!r}")
        self.retry_after = None if retry_after is None else min(retry_after, MAX_RETRY_AFTER)


class AuthError(SyncFailure):
    """401/403, an expired or revoked credential: the period is dead at once."""

    failure_type = "auth_error"


class ConfigError(SyncFailure):
    """A bad mapping, a missing setting, a 4xx waiting will not fix: dead at once."""

    failure_type = "config_error"


FAILURE_TYPES = (
    "transient_error",
    "rate_limited",
    "auth_error",
    "config_error",
    "system_error",
    "heartbeat_timeout",
)


def failure_type_of(exc: BaseException) -> str:
    """The failure type an exception is stored with (anything untyped: system_error)."""
    return exc.failure_type if isinstance(exc, SyncFailure) else "system_error"


def retry_after_of(exc: BaseException) -> float | None:
    """The Retry-After a RateLimited carries, in seconds."""
    return exc.retry_after if isinstance(exc, RateLimited) else None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (RFC 9110 section 10.2.3).

    Accepts delay-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015 07:28:00
    GMT"); a date in the past gives 0. None when absent or unparsable.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return min(float(text), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC too
        when = when.replace(tzinfo=timezone.utc)
    seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


TRANSIENT_STATUSES = frozenset({408, 425, 500, 502, 503, 504})


def error_for_status(
    status: int, retry_after: str | None = None, message: str = "", now: datetime | None = None
) -> SyncFailure | None:
    """The exception to raise for an HTTP response status, or None for success.

    429, and 503 with a Retry-After, are RateLimited (with the header's delay);
    408, 425 and 5xx are transient; 401 and 403 are auth errors; any other 4xx
    is a configuration error (waiting will not change it).
    """
    if status < 400:
        return None
    text = message or f"HTTP {status}"
    delay = parse_retry_after(retry_after, now)
    if status == 429 or (status == 503 and delay is not None):
        return RateLimited(text, retry_after=delay)
    if status in (401, 403):
        return AuthError(text)
    if status in TRANSIENT_STATUSES or status >= 500:
        return TransientError(text)
    return ConfigError(text)


def raise_for_status(
    status: int, retry_after: str | None = None, message: str = "", now: datetime | None = None
) -> None:
    """Raise ``error_for_status`` for a failed response; return for a success."""
    error = error_for_status(status, retry_after, message, now)
    if error is not None:
        raise error
