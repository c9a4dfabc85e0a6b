"""How a run ends, decided the same way by the sync and async context managers."""

from __future__ import annotations

from dataclasses import dataclass

from pyrunlog.models import RunStatus
from pyrunlog.sanitize import describe_exception

FALLBACK_ERROR = "the error message could not be stored"


@dataclass
class Progress:
    """Records a run has processed and failed so far."""

    processed: int = 0
    failed: int = 0

    def set(self, processed: int | None = None, failed: int | None = None) -> None:
        """Set the totals (None keeps a total)."""
        if processed is not None:
            self.processed = _count("processed", processed)
        if failed is not None:
            self.failed = _count("failed", failed)

    def add(self, processed: int = 0, failed: int = 0) -> None:
        """Add to the totals."""
        self.set(self.processed + processed, self.failed + failed)


def _count(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"records {name} must be a non-negative integer, got {value!r}")
    return value


def ending(progress: Progress, exc: BaseException | None) -> tuple[RunStatus, str | None]:
    """The status and error message a run ends with.

    No exception: succeeded, or partial when records failed. An Exception:
    failed with its text. Anything else (KeyboardInterrupt, SystemExit,
    task cancellation): cancelled.
    """
    if exc is None:
        return (RunStatus.PARTIAL if progress.failed > 0 else RunStatus.SUCCEEDED), None
    if isinstance(exc, Exception):
        return RunStatus.FAILED, describe_exception(exc)
    return RunStatus.CANCELLED, f"interrupted: {describe_exception(exc)}"
