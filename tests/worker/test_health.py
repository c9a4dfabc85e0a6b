"""External API health: active checks against a fake API, backoff, modes, passive health."""

from __future__ import annotations

import itertools
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
import pytest

from pyrunlog import RunLog
from pyrunlog.app import App, HealthContext
from pyrunlog.worker import Worker

ORG_A = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
ORG_B = uuid.UUID("00000000-0000-4000-8000-0000000000b2")
T0 = datetime(2026, 11, 2, 0, 0, tzinfo=timezone.utc)


class FakeApi:
    """A vendor API on 127.0.0.1 that counts HEAD requests per path (with simulated times)."""

    def __init__(self) -> None:
        self.requests: dict[str, list[datetime]] = defaultdict(list)
        self.down: dict[str, datetime] = {}  # path -> down until (simulated time)
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                at = datetime.fromisoformat(self.headers["X-Sim-Time"])
                api.requests[self.path].append(at)
                until = api.down.get(self.path)
                self.send_response(503 if until is not None and at < until else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api() -> Iterator[FakeApi]:
    fake = FakeApi()
    yield fake
    fake.close()


def ping_app(api: FakeApi, kinds: tuple[str, ...] = ("xledger", "dynamics_365", "visma"),
             timeout: float = 2.0) -> App:  # fmt: skip
    """An app whose health checks send a HEAD request to the fake API."""
    app = App()

    def ping(ctx: HealthContext) -> None:
        request = urllib.request.Request(
            f"{api.url}/{ctx.org_id}/{ctx.integration_type}",
            method="HEAD",
            headers={"X-Sim-Time": ctx.at.isoformat()},
        )
        try:
            with urllib.request.urlopen(request, timeout=ctx.timeout):
                pass
        except urllib.error.HTTPError as exc:
            exc.close()
            raise RuntimeError(f"HTTP {exc.code}") from None

    for kind in kinds:
        app.handler(kind, health_check=ping, health_timeout=timeout)(lambda ctx: None)
    return app


@pytest.fixture
def workers(admin_dsn: str, api: FakeApi) -> Iterator[list[Worker]]:
    """5 workers (not running their loops: the test drives their health checks).

    They log in as runlog_admin: the simulation chooses the time of each claim
    (claim_health_checks_at), which a runlog_worker login may not.
    """
    made = [Worker(admin_dsn, ping_app(api), concurrency=4, worker_id=f"w{i}") for i in range(5)]
    yield made
    for worker in made:
        worker.runlog.close()


Watch = Callable[[uuid.UUID, str], None]


@pytest.fixture
def watch(runlog: RunLog, conn: psycopg.Connection[tuple[object, ...]]) -> Watch:
    """Schedule an integration (as runlog_admin), its first health check due at T0.

    Moving next_check_at to the simulated T0 needs the superuser: no role may
    write integration_health, and the simulation cannot wait for real time.
    """

    def schedule_and_backdate(org: uuid.UUID, kind: str) -> None:
        runlog.set_schedule(org, kind, "0 6 * * *")
        conn.execute(
            "UPDATE runlog.integration_health SET next_check_at = %s"
            " WHERE org_id = %s AND integration_type = %s",
            [T0, org, kind],
        )

    return schedule_and_backdate


def simulate(workers: list[Worker], hours: int) -> None:
    for minute in range(hours * 60):
        at = T0 + timedelta(minutes=minute)
        for worker in workers:
            worker.run_health_checks(at)


def gaps(times: list[datetime]) -> list[int]:
    ordered = sorted(times)
    return [int((b - a).total_seconds() // 60) for a, b in itertools.pairwise(ordered)]


@pytest.mark.slow
def test_five_workers_over_24_hours_respect_the_interval_and_the_backoff(
    runlog: RunLog, api: FakeApi, workers: list[Worker], watch: Watch
) -> None:
    for org, kind in ((ORG_A, "xledger"), (ORG_A, "dynamics_365"), (ORG_B, "xledger")):
        watch(org, kind)
    healthy, failing, recovers = (f"/{ORG_A}/xledger", f"/{ORG_A}/dynamics_365",
                                  f"/{ORG_B}/xledger")  # fmt: skip
    api.down[failing] = T0 + timedelta(days=2)
    api.down[recovers] = T0 + timedelta(hours=2)

    simulate(workers, 24)

    for path in (healthy, failing, recovers):
        assert min(gaps(api.requests[path])) >= 15, f"{path} was checked more than once per 15 min"
    assert set(gaps(api.requests[healthy])) == {15}
    assert len(api.requests[healthy]) == 24 * 4
    # after 1, 2, 3 ... failures: 15, 30, 60, 120, 240 minutes, then the 6-hour cap
    assert gaps(api.requests[failing]) == [15, 30, 60, 120, 240, 360, 360]
    recovered = gaps(api.requests[recovers])
    assert recovered[:4] == [15, 30, 60, 120], "backing off while the API is down"
    assert set(recovered[4:]) == {15}, "a success resets the interval to 15 minutes"
    overview = {h.integration_type: h for h in runlog.health_overview(ORG_A)}
    assert overview["dynamics_365"].state == "unhealthy"
    assert overview["dynamics_365"].consecutive_failures == 8
    assert overview["xledger"].state == "healthy"


def test_passive_mode_sends_no_requests(
    runlog: RunLog, api: FakeApi, workers: list[Worker], watch: Watch
) -> None:
    watch(ORG_A, "visma")
    runlog.set_health_mode("visma", "passive")
    simulate(workers, 2)
    assert api.requests == {}


def test_a_per_organisation_override_beats_the_type_mode(
    runlog: RunLog, api: FakeApi, workers: list[Worker], watch: Watch
) -> None:
    watch(ORG_A, "visma")
    watch(ORG_B, "visma")
    runlog.set_health_mode("visma", "passive")
    runlog.set_health_mode("visma", "active", ORG_B)
    simulate(workers, 1)
    assert set(api.requests) == {f"/{ORG_B}/visma"}


def test_a_mode_switch_stops_checks_already_due(
    runlog: RunLog, api: FakeApi, workers: list[Worker], watch: Watch
) -> None:
    watch(ORG_A, "xledger")  # due since T0
    runlog.set_health_mode("xledger", "passive")
    assert workers[0].run_health_checks(T0 + timedelta(hours=1)) == 0
    runlog.set_health_mode("xledger", "active")
    assert workers[0].run_health_checks(T0 + timedelta(hours=1)) == 1
    assert len(api.requests[f"/{ORG_A}/xledger"]) == 1


def test_a_hanging_health_check_is_cut_off_and_counts_as_failure(
    admin_dsn: str, runlog: RunLog, watch: Watch
) -> None:
    """As runlog_admin: the check is claimed at the simulated T0 (claim_health_checks_at)."""
    release = threading.Event()
    app = App()

    def hang(ctx: HealthContext) -> None:
        release.wait(30)

    app.handler("xledger", health_check=hang, health_timeout=0.3)(lambda ctx: None)
    worker = Worker(admin_dsn, app)
    try:
        watch(ORG_A, "xledger")
        started = time.monotonic()
        assert worker.run_health_checks(T0) == 1
        assert time.monotonic() - started < 5
    finally:
        release.set()
        worker.runlog.close()
    (health,) = runlog.health_overview(ORG_A)
    assert health.state == "unhealthy"
    assert health.last_error == "health check timed out after 0.3s"


def test_passive_health_follows_scheduled_run_outcomes(runlog: RunLog) -> None:
    def outcome(status: str, error: str | None = None) -> str:
        run = runlog.start_run(ORG_A, "xledger", "scheduler", T0)
        runlog.finish_run(run.id, status, error_message=error)
        (health,) = runlog.health_overview(ORG_A)
        assert health.based_on == "sync_outcome"
        return health.state

    assert outcome("failed", "HTTP 500") == "unhealthy"
    assert outcome("succeeded") == "healthy"
    assert outcome("partial") == "healthy"
    (health,) = runlog.health_overview(ORG_A)
    assert health.last_run_status == "partial"


def test_a_timed_out_run_makes_its_integration_unhealthy(
    runlog: RunLog, conn: psycopg.Connection[tuple[object, ...]]
) -> None:
    """A heartbeat an hour old is back-dated by the superuser (no role may write it)."""
    runlog.request_sync(ORG_A, "xledger", "scheduler", T0, "p1")
    runlog.claim_next("dead")
    conn.execute("UPDATE runlog.sync_run_log SET heartbeat_at = now() - interval '1 hour'")
    runlog.reap_stale()
    (health,) = runlog.health_overview(ORG_A)
    assert health.state == "unhealthy"
    assert health.last_error is not None
    assert "timed out" in health.last_error


def test_manual_runs_and_disabled_mode_leave_health_alone(runlog: RunLog) -> None:
    run = runlog.start_run(ORG_A, "xledger")
    runlog.finish_run(run.id, "failed")
    runlog.set_health_mode("visma", "disabled")
    run = runlog.start_run(ORG_A, "visma", "scheduler", T0)
    runlog.finish_run(run.id, "failed")
    assert [(h.integration_type, h.state) for h in runlog.health_overview(ORG_A)] == [
        ("visma", "unknown"),
        ("xledger", "unknown"),
    ]


def test_health_changes_notify_the_alert_channel(worker_dsn: str, runlog: RunLog) -> None:
    with psycopg.connect(worker_dsn, autocommit=True) as listener:
        listener.execute("LISTEN runlog_alert")
        for status in ("failed", "failed", "succeeded"):
            run = runlog.start_run(ORG_A, "xledger", "scheduler", datetime.now(timezone.utc))
            runlog.finish_run(run.id, status)
        payloads = [n.payload for n in listener.notifies(timeout=1)]
    assert payloads == ["health", "health"], "the kind only: workers read the alert rows"
    changes = [(a["kind"], a["org_id"], a["details"]["from"], a["details"]["to"])
               for a in runlog.recent_alerts()]  # fmt: skip
    assert changes == [
        ("health", ORG_A, None, "unhealthy"),
        ("health", ORG_A, "unhealthy", "healthy"),
    ]


@pytest.mark.parametrize(
    ("setting", "value"),
    [("health_min_interval", "14 minutes"), ("health_max_interval", "10 minutes")],
)
def test_the_minimum_interval_cannot_go_below_15_minutes(
    admin_dsn: str, setting: str, value: str
) -> None:
    with (
        psycopg.connect(admin_dsn, autocommit=True) as admin,
        pytest.raises(psycopg.errors.CheckViolation),
    ):
        admin.execute(f"UPDATE runlog.settings SET {setting} = %s", [value])


def test_set_health_mode_refuses_a_bad_mode(runlog: RunLog) -> None:
    from pyrunlog import InvalidArgument

    with pytest.raises(InvalidArgument, match="invalid health mode 'sometimes'"):
        runlog.set_health_mode("xledger", "sometimes")
