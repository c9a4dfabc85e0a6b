"""The demo: pg_cron-scheduled syncs for three organisations on a throwaway PostgreSQL.

It deploys as the operations guide says: the superuser migrates, creates
pg_cron and two logins, one holding only runlog_admin and one holding only
runlog_worker. The admin login installs the pg_cron jobs and schedules two
integrations of three organisations every minute; the worker login runs a
worker against a simulated accounting API (latency, random failures, Dynamics
slower than its schedule for one organisation) while a live table shows each
integration's last run. Then it prints a summary: runs by trigger and status,
and for every minute, how many of its slots tick enqueued.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from pyrunlog.app import App, PrewarmContext, SyncContext
from pyrunlog.display import runs_table
from pyrunlog.failures import raise_for_status
from pyrunlog.localpg import CRON_DATABASE, LocalPostgres
from pyrunlog.migrate import migrate
from pyrunlog.observability.exporter import ExporterServer
from pyrunlog.repository import RunLog
from pyrunlog.worker import Worker

ORGS = {
    "Fjordline AS": uuid.UUID("f10d1e00-0000-4000-8000-00000000a001"),
    "Nordkapp Regnskap": uuid.UUID("a0dcab00-0000-4000-8000-00000000b002"),
    "Vestland Bygg": uuid.UUID("5e57b990-0000-4000-8000-00000000c003"),
}
SLOW_ORG = ORGS["Vestland Bygg"]
SHORT_NAMES = {org_id: name.split()[0] for name, org_id in ORGS.items()}
SLOW_SECONDS = 100
"""Dynamics of the slow organisation takes longer than its one-minute schedule."""
DRIFT_THRESHOLD_SECONDS = 30
INTEGRATIONS = ("xledger", "dynamics_365")
ADMIN_LOGIN = "demo_admin"
WORKER_LOGIN = "demo_worker"
REVOKED_ORG = ORGS["Nordkapp Regnskap"]


class SimulatedApi:
    """An accounting API with latency and failures (no network involved)."""

    def __init__(self, seed: int = 7) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self) -> float:
        with self._lock:
            return self._rng.random()

    def export(self, ctx: SyncContext, seconds: float, failure_rate: float) -> None:
        """Export in batches, reporting progress; may fail like a real vendor."""
        batches = max(1, int(seconds / 0.5))
        for _ in range(batches):
            ctx.sleep(seconds / batches)
            ctx.add(processed=int(20 + 80 * self.draw()), failed=1 if self.draw() < 0.03 else 0)
        draw = self.draw()
        if draw < failure_rate:  # retried with backoff
            raise_for_status(503, message="503 Service Unavailable from the vendor API")
        if draw < failure_rate * 1.5:  # holds the organisation's integration for 8 s
            raise_for_status(429, "8", message="429 Too Many Requests (Retry-After: 8)")


def build_app(api: SimulatedApi) -> App:
    """Handlers for xledger (fast, pre-warmed) and dynamics_365 (slow for one org)."""
    app = App()

    def warm_xledger(context: PrewarmContext) -> None:
        time.sleep(0.05 + 0.1 * api.draw())  # fetch an OAuth token

    def warm_dynamics(context: PrewarmContext) -> None:
        if api.draw() < 0.3:
            raise TimeoutError("token endpoint timed out")

    @app.handler("xledger", timeout=120, prewarm=warm_xledger)
    def xledger(ctx: SyncContext) -> None:
        api.export(ctx, seconds=1 + 3 * api.draw(), failure_rate=0.15)

    @app.handler("dynamics_365", timeout=120, prewarm=warm_dynamics)
    def dynamics(ctx: SyncContext) -> None:
        if ctx.run.org_id == REVOKED_ORG:  # a revoked credential: dead at once, never retried
            raise_for_status(401, message="401 Unauthorized: the refresh token was revoked")
        slow = ctx.run.org_id == SLOW_ORG
        api.export(ctx, seconds=SLOW_SECONDS if slow else 2 + 4 * api.draw(), failure_rate=0.1)

    return app


def run_demo(console: Console, seconds: float = 130.0) -> None:
    """Start a cluster with pg_cron, schedule, run a worker live, then summarise."""
    with console.status("starting a throwaway PostgreSQL with pg_cron..."):
        cluster = LocalPostgres().start()
    try:
        _create(cluster.dsn(CRON_DATABASE), console)
        admin_dsn = cluster.dsn(CRON_DATABASE, user=ADMIN_LOGIN)
        worker_dsn = cluster.dsn(CRON_DATABASE, user=WORKER_LOGIN)
        scheduled_at = _deploy(admin_dsn, console)
        exporter = ExporterServer(admin_dsn)
        console.print(f"Prometheus metrics (pyrunlog exporter): {exporter.url}")
        api = SimulatedApi()
        worker = Worker(worker_dsn, build_app(api), concurrency=6, heartbeat_interval=2.0,
                        grace_period=5.0, worker_id="demo-worker")  # fmt: skip
        thread = threading.Thread(target=worker.run, name="worker", daemon=True)
        thread.start()
        with RunLog(admin_dsn) as runlog:
            for org_id in ORGS.values():
                # a manual run to start with; its key makes it a period, so it is retried
                runlog.request_sync(org_id, "xledger", "manual", None, f"{org_id}/xledger/first")
            # The slow sync starts now, so the next slot of its schedule waits
            # behind it for more than the drift threshold: a drift alert.
            runlog.request_sync(SLOW_ORG, "dynamics_365")
            _watch(admin_dsn, console, seconds, scheduled_at)
            worker.stop()
            thread.join(timeout=30)
            _summary(admin_dsn, console)
        exporter.close()
    finally:
        cluster.stop()


def _create(superuser_dsn: str, console: Console) -> None:
    """The superuser's part: the schema, pg_cron and the two logins."""
    applied = migrate(superuser_dsn)
    console.print(f"migrated: applied {', '.join(f'{v:04d}' for v in applied)}")
    with psycopg.connect(superuser_dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_cron")
        for login, role in ((ADMIN_LOGIN, "runlog_admin"), (WORKER_LOGIN, "runlog_worker")):
            conn.execute(f"CREATE ROLE {login} LOGIN IN ROLE {role}")
    console.print(
        f"logins: {ADMIN_LOGIN} (runlog_admin) schedules, {WORKER_LOGIN} (runlog_worker) syncs"
    )


def _deploy(admin_dsn: str, console: Console) -> datetime:
    """The operator's part, as a runlog_admin login: pg_cron jobs, settings, schedules.

    Returns when the schedules were created.
    """
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        jobs = [row[0] for row in conn.execute("SELECT jobname FROM runlog.install_cron_jobs()")]
        # A short threshold so that the slow integration shows up as drift.
        conn.execute(
            "UPDATE runlog.settings SET drift_threshold = make_interval(secs => %s)",
            [DRIFT_THRESHOLD_SECONDS],
        )
        # Slots every minute: retries 5 s, 10 s, 20 s apart fit before the next one.
        conn.execute(
            "UPDATE runlog.retry_policy SET initial_delay = '5 seconds', backoff_factor = 2"
        )
    console.print(f"pg_cron jobs installed: {', '.join(jobs)}")
    _clear_of_the_minute_boundary()
    scheduled_at = datetime.now(timezone.utc)
    with RunLog(admin_dsn) as runlog:
        for org_id in ORGS.values():
            for integration in INTEGRATIONS:
                runlog.set_schedule(
                    org_id, integration, "* * * * *", "Europe/Oslo",
                    prewarm_lead=timedelta(minutes=1),
                )  # fmt: skip
    console.print("scheduled xledger and dynamics_365 every minute for 3 organisations")
    return scheduled_at


def _clear_of_the_minute_boundary(margin: float = 10.0) -> None:
    """Wait past the next minute when it is less than ``margin`` seconds away.

    pg_cron's tick fires at second 0: a schedule created in the same instant
    may be committed after that tick looked, and under catch-up ``latest`` its
    first slot is then folded into the next one. The demo counts every slot,
    so it creates its schedules well clear of a tick.
    """
    now = datetime.now(timezone.utc)
    to_next_minute = 60 - now.second - now.microsecond / 1e6
    if to_next_minute < margin:
        time.sleep(to_next_minute + 2)


def _watch(dsn: str, console: Console, seconds: float, scheduled_at: datetime) -> None:
    # Log lines would tear the live table; the summary reports drift and cold starts.
    logging.getLogger("pyrunlog").setLevel(logging.ERROR)
    deadline = time.monotonic() + seconds
    with (
        psycopg.connect(dsn, autocommit=True) as conn,
        RunLog(dsn) as runlog,
        Live(console=console, refresh_per_second=2, transient=False) as live,
    ):
        while time.monotonic() < deadline:
            screen = _screen(conn, runlog, deadline - time.monotonic(), scheduled_at, console.width)
            live.update(screen)
            time.sleep(0.5)
    console.print()


def _screen(
    conn: psycopg.Connection[Any],
    runlog: RunLog,
    remaining: float,
    scheduled_at: datetime,
    width: int,
) -> Group:
    """The countdown and counters first (so they never scroll away), the runs, the notes."""
    runs = [run for org_id in ORGS.values() for run in runlog.last_runs(org_id)]
    counts = conn.execute(
        "SELECT (SELECT count(*) FROM runlog.sync_run_log WHERE triggered_by = 'scheduler'),"
        " (SELECT count(*) FROM runlog.sync_run_log WHERE status = 'queued'),"
        " (SELECT count(*) FROM runlog.drift_alerts),"
        " (SELECT count(*) FROM runlog.cold_starts),"
        " (SELECT min(next_slot) FROM runlog.schedule_slot)"
    ).fetchone()
    assert counts is not None
    scheduled, queued, drift, cold, next_slot = counts
    status = Text.assemble(
        ("demo ends in ", "bold"), f"{max(0, remaining):.0f}s",
        ("   next slot ", "bold"), next_slot.strftime("%H:%M:%S") if next_slot else "-",
        ("   queued ", "bold"), str(queued),
        "\n",
        ("pg_cron-fired runs ", "bold"), str(scheduled),
        ("   drift alerts ", "bold"), (str(drift), "yellow" if drift else ""),
        ("   cold starts ", "bold"), str(cold),
    )  # fmt: skip
    table = runs_table(runs, title="last run per integration (live)", width=width,
                       org_names=SHORT_NAMES, show_run=False)  # fmt: skip
    return Group(status, table, _notes(scheduled_at))


def _notes(scheduled_at: datetime) -> Text:
    """What the counters mean in this demo: why there is drift, why cold starts."""
    first_prewarm = scheduled_at.replace(second=0, microsecond=0)
    return Text.assemble(
        ("drift: ", "yellow"),
        f"Vestland's dynamics_365 takes {SLOW_SECONDS}s, longer than its one-minute "
        f"schedule, so its next slot waits behind it and starts more than the demo's "
        f"{DRIFT_THRESHOLD_SECONDS}s drift threshold late.\n",
        ("cold starts: ", "cyan"),
        "a pre-warm runs a minute before its slot. The schedules were created at "
        f"{scheduled_at:%H:%M:%S}, after the pre-warm of {first_prewarm:%H:%M}, so the "
        "first slot's runs start cold; so does a run whose pre-warm failed (dynamics_365's "
        "token endpoint times out now and then).",
    )


def _summary(dsn: str, console: Console) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        table = Table(title="summary: runs by trigger and status")
        for column in ("triggered by", "status", "runs", "records", "avg duration (s)"):
            table.add_column(column)
        for row in conn.execute(
            "SELECT triggered_by, status, count(*), sum(records_processed),"
            " round(avg(duration_seconds), 1) FROM runlog.sync_run_log GROUP BY 1, 2 ORDER BY 1, 2"
        ):
            table.add_row(*(str(value) if value is not None else "-" for value in row))
        console.print(table)
        minutes = _slots_per_minute(conn)
        drift = conn.execute(
            "SELECT integration_type, org_id, round(drift_seconds)::int FROM runlog.drift_alerts"
            " ORDER BY drift_seconds DESC LIMIT 3"
        ).fetchall()
        cold = conn.execute("SELECT count(*) FROM runlog.cold_starts").fetchone()
        retries = conn.execute(
            "SELECT (SELECT count(*) FROM runlog.sync_run_log WHERE attempt > 1),"
            " (SELECT count(*) FROM runlog.sync_run_log WHERE failure_type = 'rate_limited'),"
            " (SELECT count(*) FROM runlog.sync_periods WHERE state = 'succeeded' AND attempts > 1)"
        ).fetchone()
        dead = conn.execute(
            "SELECT integration_type, org_id, coalesce(last_failure_type, last_status),"
            " coalesce(dead_because, 'not retried'), count(*)"
            " FROM runlog.sync_periods WHERE state = 'dead' GROUP BY 1, 2, 3, 4 ORDER BY 1, 2"
        ).fetchall()
    expected = len(ORGS) * len(INTEGRATIONS)
    console.print(
        "slots enqueued by tick per minute: "
        + ", ".join(f"{minute:%H:%M} {n}/{expected}" for minute, n in minutes)
    )
    if minutes and all(n == expected for _, n in minutes):
        console.print(f"[green]every slot of every minute enqueued[/] ({len(minutes)} minutes)")
    else:
        console.print("[red]slots missing[/]: see the minutes above")
    for integration, org_id, seconds in drift:
        console.print(
            f"[yellow]drift alert:[/] {integration} of {SHORT_NAMES.get(org_id, org_id)} "
            f"started {seconds}s late"
        )
    console.print(f"cold starts (no successful pre-warm before the run): {cold[0] if cold else 0}")
    if retries:
        console.print(
            f"retries: {retries[0]} attempts after a failure, {retries[1]} rate-limit holds"
            f" (429 Retry-After), {retries[2]} periods succeeded on a retry"
        )
    for integration, org_id, failure_type, because, periods in dead:
        org = SHORT_NAMES.get(org_id, org_id)
        console.print(
            f"[red]dead:[/] {periods} period(s) of {integration} of {org}"
            f" ({failure_type}, {because}): fix it, then pyrunlog retry"
        )


def _slots_per_minute(conn: psycopg.Connection[Any]) -> list[tuple[Any, int]]:
    """Each minute from the first slot to the last tick, and the scheduled runs enqueued for it."""
    return [
        (minute, int(n))
        for minute, n in conn.execute(
            "SELECT m, (SELECT count(DISTINCT (r.org_id, r.integration_type))"
            "  FROM runlog.sync_run_log r"
            "  WHERE r.triggered_by = 'scheduler' AND r.scheduled_for = m)"
            " FROM generate_series("
            "  date_trunc('minute', (SELECT min(created_at) FROM runlog.sync_schedule))"
            "  + interval '1 minute',"
            "  date_trunc('minute', (SELECT last_tick_at FROM runlog.scheduler_status())),"
            "  interval '1 minute') AS m ORDER BY m"
        ).fetchall()
    ]
