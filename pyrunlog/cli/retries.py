"""Commands about periods and retries: list periods (the dead ones), retry one."""

from __future__ import annotations

import uuid

import click

from pyrunlog.cli.common import (
    console,
    dsn_option,
    friendly_errors,
    json_option,
    open_runlog,
    org_option,
)
from pyrunlog.display import periods_json, periods_table

STATES = ("succeeded", "retry_pending", "running", "dead")


@click.command("periods")
@dsn_option
@click.option("--org", "org_id", type=click.UUID, default=None, help="Only this organisation.")
@click.option("--dead", is_flag=True, help="Only dead periods (same as --state dead).")
@click.option("--state", type=click.Choice(STATES), default=None, help="Only this state.")
@click.option("--limit", default=100, show_default=True, help="At most this many periods.")
@json_option
@friendly_errors
def periods(
    dsn: str, org_id: uuid.UUID | None, dead: bool, state: str | None, limit: int, as_json: bool
) -> None:
    """Periods (one per idempotency key) with their state and attempts, newest first."""
    wanted = "dead" if dead else state
    with open_runlog(dsn) as runlog:
        found = runlog.periods(wanted, org_id, limit)
    if as_json:
        click.echo(periods_json(found))
        return
    if not found:
        click.echo(f"no {wanted.replace('_', ' ') + ' ' if wanted else ''}periods")
        return
    console().print(periods_table(found, title=f"{wanted or 'all'} periods"))
    if any(item.state == "dead" for item in found):
        click.echo("re-queue one with: pyrunlog retry --org ORG KEY")


@click.command("retry")
@dsn_option
@org_option
@click.argument("idempotency_key")
@friendly_errors
def retry(dsn: str, org_id: uuid.UUID, idempotency_key: str) -> None:
    """Re-queue a dead period as its next attempt (runlog.retry_period)."""
    with open_runlog(dsn) as runlog:
        run = runlog.retry_period(org_id, idempotency_key)
    click.echo(
        f"queued run {run.id}: attempt {run.attempt} of period {idempotency_key}"
        f" ({run.integration_type} of {org_id})"
    )


COMMANDS = [periods, retry]
