"""Mixed concurrent traffic produces no errors (figures: bench/reliability.py)."""

from __future__ import annotations

import pytest

from bench.reliability import mixed_load


@pytest.mark.slow
def test_16_clients_of_mixed_traffic_see_no_errors(worker_dsn: str) -> None:
    """The clients log in as a runlog_worker login, as sync workers do."""
    latencies, errors = mixed_load(worker_dsn, clients=16, seconds=8)
    assert errors == [], errors[:3]
    assert set(latencies) == {"start+finish", "last_runs", "run_history"}
    assert all(len(values) > 50 for values in latencies.values()), "every kind of call ran"
