"""How often notifications may make a worker ask the database (a token bucket).

Any login can NOTIFY, so a worker that called claim_runs for every
``runlog_queued`` would call it as often as an attacker likes. Each round a
notification starts spends a token; tokens come back at ``rate`` per second
up to ``burst``, and each piece of work found (a run claimed, by any thread)
gives one back. Genuine notifications find work and keep their latency;
forged ones find nothing and cost at most ``rate`` rounds a second after the
first ``burst``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

ROUNDS_PER_SECOND = 10.0
BURST = 5.0


class WakeBudget:
    """The rounds of one kind (claims, pre-warms, alerts) a worker may start on hints."""

    def __init__(
        self,
        rate: float = ROUNDS_PER_SECOND,
        burst: float = BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._at = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now

    def take(self) -> bool:
        """Spend a token for a round now; False (nothing spent) when none is left."""
        with self._lock:
            self._refill()
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True

    def seconds_until_next(self) -> float:
        """How long until ``take`` can succeed (0 when it can now)."""
        with self._lock:
            self._refill()
            return max(0.0, (1 - self._tokens) / self.rate)

    def found_work(self) -> None:
        """Work was found: give a token back."""
        with self._lock:
            self._refill()
            self._tokens = min(self.burst, self._tokens + 1)
