"""Log formats: plain text, or one JSON object per line with the run's fields."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

RUN_FIELDS = ("run_id", "org_id", "integration_type", "attempt", "failure_type")
LOG_FORMATS = ("text", "json")

_run: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "pyrunlog_log_run", default=None
)


def fields_of(run: Any, **overrides: Any) -> dict[str, Any]:
    """The run's log fields (RUN_FIELDS), for ``extra=`` of one log call; overrides win."""
    fields = {
        "run_id": getattr(run, "id", None),
        "org_id": getattr(run, "org_id", None),
        "integration_type": getattr(run, "integration_type", None),
        "attempt": getattr(run, "attempt", None),
        "failure_type": getattr(run, "failure_type", None),
    }
    return {**fields, **overrides}


@contextlib.contextmanager
def run_fields(run: Any) -> Iterator[None]:
    """Within the block (on this thread), JSON log lines carry the run's fields."""
    token = _run.set(fields_of(run))
    try:
        yield
    finally:
        _run.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the run's fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = _run.get() or {}
        for field in RUN_FIELDS:
            found = getattr(record, field, None)
            found = context.get(field) if found is None else found
            if found is not None:
                line[field] = found if isinstance(found, (int, float)) else str(found)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """Send pyrunlog's logs to stderr as text or JSON lines."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
