"""The pyrunlog command line: migrate, version, status, history, trigger, demo."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click
import psycopg
from rich.console import Console

from pyrunlog.errors import RunLogError
from pyrunlog.migrate import latest_version, migrate
from pyrunlog.repository import RunLog

F = TypeVar("F", bound=Callable[..., Any])

dsn_option = click.option(
    "--dsn",
    envvar="PYRUNLOG_DSN",
    default="",
    show_default=False,
    help="libpq connection string or URI (default: $PYRUNLOG_DSN, then the PG* variables).",
)


def friendly_errors(command: F) -> F:
    """Turn database and pyrunlog errors into one clear line and exit status 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except psycopg.OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise click.ClickException(
                f"cannot connect to PostgreSQL: {first} "
                "(check --dsn / PYRUNLOG_DSN and that the server is running)"
            ) from exc
        except (RunLogError, psycopg.Error) as exc:
            raise click.ClickException(str(exc).strip().splitlines()[0]) from exc

    return wrapper  # type: ignore[return-value]


def console() -> Console:
    """A console; when output is not a terminal, wide enough that tables do not wrap."""
    return Console() if sys.stdout.isatty() else Console(width=160)


@click.group()
@click.version_option(package_name="pyrunlog")
def cli() -> None:
    """pyrunlog: a Postgres-native run log and scheduler for data syncs."""


@cli.command("migrate")
@dsn_option
@friendly_errors
def migrate_command(dsn: str) -> None:
    """Apply the schema migrations this package brings (safe to repeat)."""
    applied = migrate(dsn)
    if applied:
        click.echo("applied migrations " + ", ".join(f"{v:04d}" for v in applied))
    else:
        click.echo(f"schema is up to date (version {latest_version():04d})")


@cli.command("version")
@dsn_option
@friendly_errors
def version_command(dsn: str) -> None:
    """Print the package version and the deployed schema version."""
    from pyrunlog import __version__

    with RunLog(dsn) as runlog:
        deployed = runlog.version()
    click.echo(f"pyrunlog {__version__}, schema {deployed} (package brings {latest_version():04d})")


@cli.command("status")
@dsn_option
@click.option("--org", "org_id", type=click.UUID, required=True, help="Organisation id.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@friendly_errors
def status_command(dsn: str, org_id: uuid.UUID, as_json: bool) -> None:
    """The last run per integration of an organisation."""
    from pyrunlog.display import runs_json, runs_table

    with RunLog(dsn) as runlog:
        runs = runlog.last_runs(org_id)
    if as_json:
        click.echo(runs_json(runs))
    else:
        console().print(runs_table(runs, title=f"last runs of {org_id}"))


def load_app(spec: str) -> Any:
    """Import ``module:attribute`` (an App)."""
    import importlib

    from pyrunlog.app import App

    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise click.BadParameter(f"expected module:attribute, got {spec!r}", param_hint="--app")
    try:
        target = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise click.BadParameter(f"cannot load {spec}: {exc}", param_hint="--app") from exc
    if not isinstance(target, App):
        raise click.BadParameter(f"{spec} is not a pyrunlog.App", param_hint="--app")
    return target


@cli.command("worker")
@dsn_option
@click.option("--app", "app_spec", required=True, help="The handlers: module:attribute of an App.")
@click.option("--concurrency", default=4, show_default=True, help="Syncs run at once.")
@click.option("--tick", is_flag=True, help="Also drive tick/pre-warm/reaper (no pg_cron).")
@click.option("--poll-interval", default=5.0, show_default=True, help="Seconds between polls.")
@click.option("--heartbeat-interval", default=10.0, show_default=True, help="Seconds.")
@click.option("--grace-period", default=30.0, show_default=True, help="Seconds on SIGTERM.")
@click.option("--worker-id", default=None, help="Name in worker_id (default host:pid:random).")
@friendly_errors
def worker_command(
    dsn: str,
    app_spec: str,
    concurrency: int,
    tick: bool,
    poll_interval: float,
    heartbeat_interval: float,
    grace_period: float,
    worker_id: str | None,
) -> None:
    """Run syncs: claim queued runs and call the app's handlers until SIGTERM."""
    import logging

    from pyrunlog.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    worker = Worker(
        dsn,
        load_app(app_spec),
        concurrency=concurrency,
        tick=tick,
        poll_interval=poll_interval,
        heartbeat_interval=heartbeat_interval,
        grace_period=grace_period,
        worker_id=worker_id,
    )
    worker.install_signal_handlers()
    worker.run()


@cli.command("trigger")
@dsn_option
@click.option("--org", "org_id", type=click.UUID, required=True, help="Organisation id.")
@click.argument("integration_type")
@friendly_errors
def trigger_command(dsn: str, org_id: uuid.UUID, integration_type: str) -> None:
    """Queue a manual run of an integration; workers pick it up."""
    with RunLog(dsn) as runlog:
        run = runlog.request_sync(org_id, integration_type)
    click.echo(f"queued run {run.id} ({integration_type} of {org_id})")


@cli.command("tick")
@dsn_option
@friendly_errors
def tick_command(dsn: str) -> None:
    """Enqueue the runs whose slot has come (what the pg_cron job does every minute)."""
    with RunLog(dsn) as runlog:
        click.echo(f"enqueued {runlog.tick(ticked_by='cli')} runs")


@cli.group("cron")
def cron_group() -> None:
    """The pg_cron jobs that drive tick, pre-warm, reaper and retention."""


@cron_group.command("install")
@dsn_option
@friendly_errors
def cron_install_command(dsn: str) -> None:
    """Install or update the pg_cron jobs (idempotent)."""
    with RunLog(dsn) as runlog:
        for job in runlog.install_cron_jobs():
            click.echo(f"{job['jobname']}: {job['schedule']} {job['command']}")


@cli.group("schedule")
def schedule_group() -> None:
    """Create, list, enable, disable and remove schedules."""


@schedule_group.command("add")
@dsn_option
@click.option("--org", "org_id", type=click.UUID, required=True, help="Organisation id.")
@click.argument("integration_type")
@click.argument("cron")
@click.option("--tz", "time_zone", default="UTC", show_default=True, help="IANA time zone.")
@click.option("--catch-up", type=click.Choice(["none", "latest", "all"]), default="latest",
              show_default=True)  # fmt: skip
@click.option("--prewarm-lead", default=60, show_default=True, help="Seconds before each slot.")
@friendly_errors
def schedule_add_command(
    dsn: str,
    org_id: uuid.UUID,
    integration_type: str,
    cron: str,
    time_zone: str,
    catch_up: str,
    prewarm_lead: int,
) -> None:
    """Create or replace the schedule of an integration (CRON is 5 fields, quoted)."""
    from datetime import timedelta

    with RunLog(dsn) as runlog:
        saved = runlog.set_schedule(
            org_id, integration_type, cron, time_zone, catch_up, timedelta(seconds=prewarm_lead)
        )
    click.echo(
        f"{saved.integration_type}: '{saved.cron}' {saved.time_zone}, next {saved.next_slot}"
    )


@schedule_group.command("list")
@dsn_option
@click.option("--org", "org_id", type=click.UUID, default=None, help="Only this organisation.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@friendly_errors
def schedule_list_command(dsn: str, org_id: uuid.UUID | None, as_json: bool) -> None:
    """List schedules with their next slot."""
    from pyrunlog.display import schedules_json, schedules_table

    with RunLog(dsn) as runlog:
        found = runlog.schedules(org_id)
    if as_json:
        click.echo(schedules_json(found))
    else:
        console().print(schedules_table(found))


def _change_schedule(dsn: str, action: str, org_id: uuid.UUID, integration_type: str) -> None:
    with RunLog(dsn) as runlog:
        method = {
            "enable": runlog.enable_schedule,
            "disable": runlog.disable_schedule,
            "remove": runlog.delete_schedule,
        }[action]
        saved = method(org_id, integration_type)
    click.echo(f"{action}d schedule of {saved.integration_type} ({saved.org_id})")


for _action in ("enable", "disable", "remove"):

    def _make(action: str) -> None:
        @schedule_group.command(action, help=f"{action.capitalize()} a schedule.")
        @dsn_option
        @click.option("--org", "org_id", type=click.UUID, required=True, help="Organisation id.")
        @click.argument("integration_type")
        @friendly_errors
        def command(dsn: str, org_id: uuid.UUID, integration_type: str) -> None:
            _change_schedule(dsn, action, org_id, integration_type)

    _make(_action)


@schedule_group.command("next")
@dsn_option
@click.argument("cron")
@click.option("--tz", "time_zone", default="UTC", show_default=True, help="IANA time zone.")
@click.option("-n", "count", default=5, show_default=True, help="How many slots.")
@friendly_errors
def schedule_next_command(dsn: str, cron: str, time_zone: str, count: int) -> None:
    """Show the next slots of a cron expression (evaluated by the database)."""
    with RunLog(dsn) as runlog:
        for slot in runlog.next_slots(cron, time_zone, n=count):
            click.echo(slot.isoformat())


@cli.command("demo")
@click.option("--seconds", default=130.0, show_default=True, help="How long the worker runs.")
@friendly_errors
def demo_command(seconds: float) -> None:
    """Run the demo on a throwaway local PostgreSQL with pg_cron."""
    from pyrunlog.demo import run_demo

    run_demo(console(), seconds)


def main() -> None:
    """Console-script entry point."""
    os.environ.setdefault("PGAPPNAME", "pyrunlog")
    sys.exit(cli(standalone_mode=True))
