"""last_runs and run_history, checked against brute force on random data."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.helpers import Conn, all_runs, sqlstate_of

ORGS = [uuid.UUID(int=i + 1) for i in range(3)]
TYPES = ["xledger", "dynamics_365", "visma", "tripletex"]
STATUSES = ["queued", "running", "succeeded", "partial", "failed", "cancelled", "timed_out"]


def seed(conn: Conn, rng: random.Random, count: int) -> None:
    """Random history written directly (as the superuser), in random start order."""
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    rows = []
    running: set[tuple[uuid.UUID, str]] = set()
    for _ in range(count):
        org, kind = rng.choice(ORGS), rng.choice(TYPES)
        status = rng.choice(STATUSES)
        if status == "running" and (org, kind) in running:
            status = "failed"
        if status == "running":
            running.add((org, kind))
        queued = base + timedelta(minutes=rng.randint(0, 100_000))
        started = None if status == "queued" else queued + timedelta(seconds=rng.randint(0, 600))
        if status == "cancelled" and rng.random() < 0.5:
            started = None
        ended = (
            None
            if status in ("queued", "running")
            else (started or queued) + timedelta(seconds=rng.randint(0, 300))
        )
        rows.append((org, kind, status, queued, started, ended))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO runlog.sync_run_log (org_id, integration_type, status, triggered_by,"
            " queued_at, started_at, ended_at) VALUES (%s, %s, %s, 'manual', %s, %s, %s)",
            rows,
        )


@pytest.mark.parametrize("seed_value", [1, 2, 3])
def test_last_runs_is_the_latest_started_run_per_integration(conn: Conn, seed_value: int) -> None:
    seed(conn, random.Random(seed_value), 600)
    rows = all_runs(conn)
    for org in ORGS:
        expected = {}
        for row in rows:
            if row["org_id"] != org or row["started_at"] is None:
                continue
            best = expected.get(row["integration_type"])
            if best is None or (row["started_at"], row["id"]) > (best["started_at"], best["id"]):
                expected[row["integration_type"]] = row
        got = conn.execute(
            "SELECT integration_type, id FROM runlog.last_runs(%s)", [org]
        ).fetchall()
        assert got == sorted((k, v["id"]) for k, v in expected.items()), f"org {org}"


def test_last_runs_without_org_uses_the_claim(conn: Conn) -> None:
    seed(conn, random.Random(4), 100)
    conn.execute("BEGIN")
    conn.execute(
        "SELECT set_config('request.jwt.claims', %s, true)", [f'{{"org_id": "{ORGS[1]}"}}']
    )
    orgs = {r[0] for r in conn.execute("SELECT org_id FROM runlog.last_runs()")}
    conn.execute("ROLLBACK")
    assert orgs == {ORGS[1]}


def test_last_runs_without_org_or_claim_is_an_invalid_argument(conn: Conn) -> None:
    assert sqlstate_of(conn, "SELECT * FROM runlog.last_runs()") == "22023"


def test_run_history_pages_by_before_id_without_gaps_or_repeats(conn: Conn) -> None:
    seed(conn, random.Random(5), 400)
    expected = [r["id"] for r in reversed(all_runs(conn)) if r["org_id"] == ORGS[0]]
    seen: list[int] = []
    before = None
    while True:
        page = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM runlog.run_history(%s, NULL, 7, %s)", [ORGS[0], before]
            )
        ]
        assert len(page) <= 7, "max_rows must bound a page"
        if not page:
            break
        seen += page
        before = page[-1]
    assert seen == expected


def test_run_history_filters_by_integration(conn: Conn) -> None:
    seed(conn, random.Random(6), 300)
    expected = [
        r["id"]
        for r in reversed(all_runs(conn))
        if r["org_id"] == ORGS[2] and r["integration_type"] == "visma"
    ][:25]
    got = [
        r[0] for r in conn.execute("SELECT id FROM runlog.run_history(%s, 'visma', 25)", [ORGS[2]])
    ]
    assert got == expected


@pytest.mark.parametrize("max_rows", [0, -1, 1001, None])
def test_run_history_refuses_a_bad_max_rows(conn: Conn, max_rows: int | None) -> None:
    state = sqlstate_of(conn, "SELECT * FROM runlog.run_history(%s, NULL, %s)", ORGS[0], max_rows)
    assert state == "22023"


def test_version_is_the_latest_applied_migration(conn: Conn) -> None:
    from pyrunlog.migrate import latest_version

    assert conn.execute("SELECT runlog.version()").fetchone() == (f"{latest_version():04d}",)
