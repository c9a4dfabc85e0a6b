"""Operations: migrate, version, doctor, prune, tick, cron, worker, health, reference, demo."""

from __future__ import annotations

import dataclasses
import importlib
import logging
import os
import sys
import uuid
from datetime import timedelta
from typing import Any

import click
import psycopg
from rich.table import Table

from pyrunlog.cli.common import (
    connect,
    connect_checked,
    console,
    dsn_option,
    echo_json,
    friendly_errors,
    json_option,
    open_runlog,
    org_option,
)
from pyrunlog.cli.observability import log_format_option
from pyrunlog.migrate import latest_version, migrate, pending_repeatables
from pyrunlog.observability.logs import configure_logging
from pyrunlog.repository import RunLog
from pyrunlog.wording import count_of

LEVEL_STYLE = {"ok": "[green]ok[/]", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]"}


@click.command("migrate")
@dsn_option
@friendly_errors
def migrate_command(dsn: str) -> None:
    """Apply the schema migrations this package brings (safe to repeat)."""
    with connect(dsn) as conn:
        unrecorded, changed = _unrecorded_migrations(conn), pending_repeatables(conn)
    applied = migrate(dsn)
    if applied:
        click.echo("applied migrations " + _versions(applied))
    adopted = [version for version in unrecorded if version not in applied]
    if adopted:
        click.echo(
            f"adopted migrations {_versions(adopted)}, applied without pyrunlog (psql):"
            " recorded their checksums"
        )
    if changed:  # with new migrations too: they commit together
        click.echo(
            "applied and recorded the checksums of "
            + count_of(len(changed), "function, view or grant file")
        )
    if not (applied or adopted or changed):
        click.echo(f"schema is up to date (version {latest_version():04d})")


def _versions(versions: list[int]) -> str:
    return ", ".join(f"{v:04d}" for v in versions)


def _unrecorded_migrations(conn: psycopg.Connection[Any]) -> list[int]:
    """Migrations applied by psql, which record no checksum (migrate adopts them)."""
    if conn.execute("SELECT to_regclass('runlog.schema_migrations')").fetchone() == (None,):
        return []
    rows = conn.execute(
        "SELECT version FROM runlog.schema_migrations WHERE checksum IS NULL ORDER BY 1"
    ).fetchall()
    return [row[0] for row in rows]


@click.command("version")
@dsn_option
@json_option
@friendly_errors
def version(dsn: str, as_json: bool) -> None:
    """Print the package version and the deployed schema version."""
    from pyrunlog import __version__

    with connect(dsn) as conn:
        try:
            deployed = RunLog(conn).version()
        except (psycopg.errors.UndefinedFunction, psycopg.errors.InvalidSchemaName):
            deployed = None
    if as_json:
        echo_json(
            {
                "package": __version__,
                "schema": deployed,
                "package_schema": f"{latest_version():04d}",
            }
        )
        return
    click.echo(f"pyrunlog {__version__}, schema {deployed or 'not installed'} "
               f"(package brings {latest_version():04d})")  # fmt: skip


@click.command("doctor")
@dsn_option
@json_option
@friendly_errors
def doctor(dsn: str, as_json: bool) -> None:
    """Check the deployment; exit status 1 when anything needs attention."""
    from pyrunlog.doctor import Level, diagnose

    with connect(dsn) as conn:
        findings = diagnose(conn)
    if as_json:
        echo_json([dataclasses.asdict(f) | {"level": f.level.value} for f in findings])
    else:
        table = Table(title="pyrunlog doctor")
        for column in ("check", "", "finding", "what to do"):
            table.add_column(column)
        for f in findings:
            table.add_row(f.check, LEVEL_STYLE[f.level.value], f.message, f.fix or "")
        console().print(table)
    if any(f.level is not Level.OK for f in findings):
        raise SystemExit(1)


@click.command("prune")
@dsn_option
@click.option("--older-than-days", type=int, default=None, help="Default: settings.retention.")
@friendly_errors
def prune(dsn: str, older_than_days: int | None) -> None:
    """Delete old ended runs now (what the daily retention job does)."""
    age = None if older_than_days is None else timedelta(days=older_than_days)
    with open_runlog(dsn) as runlog:
        click.echo(f"deleted {count_of(runlog.prune(age), 'run')}")


@click.command("tick")
@dsn_option
@friendly_errors
def tick(dsn: str) -> None:
    """Enqueue the runs whose slot has come (what the pg_cron job does every minute)."""
    with open_runlog(dsn) as runlog:
        click.echo(f"enqueued {count_of(runlog.tick(ticked_by='cli'), 'run')}")


@click.group("cron")
def cron() -> None:
    """The pg_cron jobs that drive tick, pre-warm, reaper and retention."""


@cron.command("install")
@dsn_option
@friendly_errors
def cron_install(dsn: str) -> None:
    """Install or update the pg_cron jobs (idempotent)."""
    with open_runlog(dsn) as runlog:
        for job in runlog.install_cron_jobs():
            click.echo(f"{job['jobname']}: {job['schedule']} {job['command']}")


@click.command("health")
@dsn_option
@org_option
@json_option
@friendly_errors
def health(dsn: str, org_id: uuid.UUID, as_json: bool) -> None:
    """Health, mode, next check and last run of each integration of an organisation."""
    with open_runlog(dsn, org_id) as runlog:
        rows = runlog.health_overview(org_id)
    if as_json:
        echo_json([dataclasses.asdict(row) for row in rows])
        return
    table = Table(title=f"health of {org_id}")
    for column in ("integration", "state", "mode", "failures", "based on", "next check",
                   "last run", "last error"):  # fmt: skip
        table.add_column(column)
    style = {"healthy": "green", "unhealthy": "red", "unknown": "dim"}
    for row in rows:
        table.add_row(
            row.integration_type, f"[{style[row.state]}]{row.state}[/]", row.mode,
            str(row.consecutive_failures), row.based_on or "-",
            row.next_check_at.strftime("%Y-%m-%d %H:%M") if row.next_check_at else "-",
            row.last_run_status or "-", (row.last_error or "")[:60],
        )  # fmt: skip
    console().print(table)


@click.command("health-mode")
@dsn_option
@click.argument("integration_type")
@click.argument("mode", type=click.Choice(["active", "passive", "disabled"]))
@click.option(
    "--org", "org_id", type=click.UUID, default=None, help="Override for one organisation."
)
@friendly_errors
def health_mode(dsn: str, integration_type: str, mode: str, org_id: uuid.UUID | None) -> None:
    """Set how the health of an integration type is watched (runlog_admin)."""
    with open_runlog(dsn) as runlog:
        runlog.set_health_mode(integration_type, mode, org_id)
    click.echo(f"health of {integration_type}{f' for {org_id}' if org_id else ''}: {mode}")


@click.command("reference")
@dsn_option
@friendly_errors
def reference(dsn: str) -> None:
    """Print the SQL reference (Markdown) generated from the deployed schema."""
    from pyrunlog.reference import render

    with connect_checked(dsn) as conn:
        click.echo(render(conn), nl=False)


def load_app(spec: str) -> Any:
    """Import ``module:attribute`` (an App), finding modules in the current directory too."""
    from pyrunlog.app import App

    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise click.BadParameter(f"expected module:attribute, got {spec!r}", param_hint="--app")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as `python -m`, uvicorn and celery do
    try:
        target = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise click.BadParameter(f"cannot load {spec}: {exc}", param_hint="--app") from exc
    if not isinstance(target, App):
        raise click.BadParameter(f"{spec} is not a pyrunlog.App", param_hint="--app")
    return target


@click.command("worker")
@dsn_option
@click.option("--app", "app_spec", required=True, help="The handlers: module:attribute of an App.")
@click.option("--concurrency", default=4, show_default=True, help="Syncs run at once.")
@click.option("--tick", "drive", is_flag=True, help="Also drive tick/pre-warm/reaper (no pg_cron).")
@click.option("--poll-interval", default=5.0, show_default=True, help="Seconds between polls.")
@click.option("--heartbeat-interval", default=10.0, show_default=True, help="Seconds.")
@click.option("--grace-period", default=30.0, show_default=True, help="Seconds on SIGTERM.")
@click.option("--worker-id", default=None, help="Name in worker_id (default host:pid:random).")
@click.option(
    "--metrics-port", type=int, default=None, help="Serve /metrics, /livez, /readyz (0: any free)."
)
@click.option("--metrics-listen", default="127.0.0.1", show_default=True, help="Their address.")
@log_format_option
@friendly_errors
def worker(
    dsn: str,
    app_spec: str,
    concurrency: int,
    drive: bool,
    poll_interval: float,
    heartbeat_interval: float,
    grace_period: float,
    worker_id: str | None,
    metrics_port: int | None,
    metrics_listen: str,
    log_format: str,
) -> None:
    """Run syncs: claim queued runs and call the app's handlers until SIGTERM."""
    from pyrunlog.worker import Worker

    app = load_app(app_spec)
    configure_logging(log_format)
    with open_runlog(dsn) as runlog:  # one clear error for a missing, older or newer schema
        if not runlog.holds_role("runlog_worker"):
            raise click.ClickException(
                "a worker needs the role runlog_worker, which this login does not hold"
                " (as a role admin: GRANT runlog_worker TO <login>; or use the worker's DSN,"
                " e.g. PYRUNLOG_WORKER_DSN from pyrunlog devdb env)"
            )
    runner = Worker(
        dsn, app, concurrency=concurrency, tick=drive, poll_interval=poll_interval,
        heartbeat_interval=heartbeat_interval, grace_period=grace_period, worker_id=worker_id,
    )  # fmt: skip
    runner.install_signal_handlers()
    if metrics_port is None:
        runner.run()
        return
    from pyrunlog.observability.probes import MetricsObserver, serve_probes

    runner.observer = observer = MetricsObserver()
    with serve_probes(observer, metrics_port, metrics_listen) as url:
        logging.getLogger("pyrunlog.worker").info("serving %s/metrics, /livez, /readyz", url)
        runner.run()


@click.command("demo")
@click.option("--seconds", default=130.0, show_default=True, help="How long the worker runs.")
@friendly_errors
def demo(seconds: float) -> None:
    """Run the demo on a throwaway local PostgreSQL with pg_cron."""
    from pyrunlog.demo import run_demo

    run_demo(console(), seconds)


COMMANDS = [
    migrate_command, version, doctor, prune, tick, cron, health, health_mode, reference,
    worker, demo,
]  # fmt: skip
