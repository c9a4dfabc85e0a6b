"""Commands about runs: status, history, trigger, cancel."""

from __future__ import annotations

import time
import uuid

import click
from rich.live import Live

from pyrunlog.cli.common import (
    console,
    dsn_option,
    explain_nothing_found,
    friendly_errors,
    json_option,
    open_runlog,
    org_option,
)
from pyrunlog.display import runs_json, runs_table
from pyrunlog.models import SyncRun
from pyrunlog.repository import RunLog


def _last_runs(runlog: RunLog, org_id: uuid.UUID | None) -> list[SyncRun]:
    orgs = [org_id] if org_id else runlog.organisations()
    return [run for org in orgs for run in runlog.last_runs(org)]


@click.command("status")
@dsn_option
@click.option("--org", "org_id", type=click.UUID, default=None, help="Only this organisation.")
@click.option("--watch", is_flag=True, help="Refresh every --interval seconds until Ctrl-C.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between refreshes.")
@click.option("--count", default=0, help="With --watch: stop after this many refreshes.")
@json_option
@friendly_errors
def status(
    dsn: str, org_id: uuid.UUID | None, watch: bool, interval: float, count: int, as_json: bool
) -> None:
    """The last run per integration (of one organisation, or of all), coloured by status."""
    with open_runlog(dsn, org_id) as runlog:
        if as_json:
            click.echo(runs_json(_last_runs(runlog, org_id)))
            return
        title = f"last runs of {org_id}" if org_id else "last runs"
        out = console()
        if not watch:
            runs = _last_runs(runlog, org_id)
            out.print(runs_table(runs, title=title, width=out.width))
            explain_nothing_found(runlog, runs)
            return
        refreshes = 0
        with Live(console=out, refresh_per_second=4) as live:
            try:
                while not count or refreshes < count:
                    live.update(
                        runs_table(_last_runs(runlog, org_id), title=title, width=out.width)
                    )
                    refreshes += 1
                    if not count or refreshes < count:
                        time.sleep(interval)
            except KeyboardInterrupt:
                pass


@click.command("history")
@dsn_option
@org_option
@click.option("--integration", default=None, help="Only this integration type.")
@click.option("--limit", default=20, show_default=True, help="Runs per page (1-1000).")
@click.option(
    "--before", "before_id", type=int, default=None, help="Page: runs older than this id."
)
@json_option
@friendly_errors
def history(
    dsn: str,
    org_id: uuid.UUID,
    integration: str | None,
    limit: int,
    before_id: int | None,
    as_json: bool,
) -> None:
    """Runs of an organisation, newest first; page with --before <last id shown>."""
    with open_runlog(dsn, org_id) as runlog:
        runs = runlog.run_history(org_id, integration, limit, before_id)
    if as_json:
        click.echo(runs_json(runs))
        return
    out = console()
    out.print(runs_table(runs, title=f"history of {org_id}", width=out.width))
    if len(runs) == limit:
        click.echo(f"more: --before {runs[-1].id}")


@click.command("trigger")
@dsn_option
@org_option
@click.argument("integration_type")
@friendly_errors
def trigger(dsn: str, org_id: uuid.UUID, integration_type: str) -> None:
    """Queue a manual run of an integration; workers pick it up."""
    with open_runlog(dsn, org_id) as runlog:
        run = runlog.request_sync(org_id, integration_type)
        known = runlog.integration_known(integration_type)
    click.echo(f"queued run {run.id} ({integration_type} of {org_id})")
    if not known:
        click.echo(
            f"warning: no schedule names {integration_type!r} and no worker has ever run it; "
            "the run waits until a worker's --app has a handler for it (check the name)",
            err=True,
        )


@click.command("cancel")
@dsn_option
@click.argument("run_id", type=int)
@click.option("--reason", default="cancelled by an operator", show_default=True)
@friendly_errors
def cancel(dsn: str, run_id: int, reason: str) -> None:
    """Cancel a queued or running run (its worker stops at the next heartbeat)."""
    with open_runlog(dsn) as runlog:
        run = runlog.cancel_run(run_id, reason)
    click.echo(f"cancelled run {run.id} ({run.integration_type} of {run.org_id})")


COMMANDS = [status, history, trigger, cancel]
