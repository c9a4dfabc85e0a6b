"""Mixed concurrent traffic produces no errors (figures: bench/reliability.py)."""

from __future__ import annotations

import pytest

from bench.reliability import mixed_load


@pytest.mark.slow
def test_16_clients_of_mixed_traffic_see_no_errors(dsn: str) -> None:
    latencies, errors = mixed_load(dsn, clients=16, seconds=8)
    assert errors == [], errors[:3]
    assert set(latencies) == {"start+finish", "last_runs", "run_history"}
    assert all(len(values) > 50 for values in latencies.values()), "every kind of call ran"
