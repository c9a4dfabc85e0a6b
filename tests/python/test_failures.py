"""Typed failures: HTTP statuses and Retry-After map to the right exception."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pyrunlog import (
    AuthError,
    ConfigError,
    RateLimited,
    TransientError,
    error_for_status,
    parse_retry_after,
    raise_for_status,
)
from pyrunlog.failures import failure_type_of, retry_after_of

NOW = datetime(2026, 11, 30, 6, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Mon, 30 Nov 2026 06:02:00 GMT", 120.0),  # IMF-fixdate
        ("Monday, 30-Nov-26 06:02:00 GMT", 120.0),  # obsolete RFC 850 form
        ("Mon Nov 30 06:02:00 2026", 120.0),  # obsolete asctime form
        ("Mon, 30 Nov 2026 05:00:00 GMT", 0.0),  # in the past: no wait
        ("99999999999", 365 * 86400.0),  # absurd: capped
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after_reads_delay_seconds_and_http_dates(
    value: str | None, seconds: float | None
) -> None:
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize(
    ("status", "retry_after", "kind", "delay"),
    [
        (200, None, None, None),
        (304, None, None, None),
        (429, "30", RateLimited, 30.0),
        (429, None, RateLimited, None),
        (503, "Mon, 30 Nov 2026 06:01:00 GMT", RateLimited, 60.0),
        (503, None, TransientError, None),
        (500, None, TransientError, None),
        (502, None, TransientError, None),
        (504, None, TransientError, None),
        (408, None, TransientError, None),
        (401, None, AuthError, None),
        (403, None, AuthError, None),
        (400, None, ConfigError, None),
        (404, None, ConfigError, None),
        (422, None, ConfigError, None),
    ],
)
def test_error_for_status_classifies_responses(
    status: int, retry_after: str | None, kind: type | None, delay: float | None
) -> None:
    error = error_for_status(status, retry_after, now=NOW)
    if kind is None:
        assert error is None
        raise_for_status(status, retry_after, now=NOW)  # returns
        return
    assert type(error) is kind
    assert retry_after_of(error) == delay
    with pytest.raises(kind):
        raise_for_status(status, retry_after, now=NOW)


def test_failure_types_of_exceptions() -> None:
    assert failure_type_of(TransientError()) == "transient_error"
    assert failure_type_of(RateLimited(retry_after=5)) == "rate_limited"
    assert failure_type_of(AuthError()) == "auth_error"
    assert failure_type_of(ConfigError()) == "config_error"
    assert failure_type_of(KeyError("x")) == "system_error"


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_rate_limited_refuses_a_bad_retry_after(bad: float) -> None:
    with pytest.raises(ValueError, match="retry_after"):
        RateLimited(retry_after=bad)
