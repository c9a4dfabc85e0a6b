"""The schedule commands: add, list, enable, disable, remove, next."""

from __future__ import annotations

import uuid
from datetime import timedelta

import click

from pyrunlog.cli.common import (
    console,
    dsn_option,
    echo_json,
    explain_nothing_found,
    friendly_errors,
    json_option,
    open_runlog,
    org_option,
)
from pyrunlog.display import schedules_json, schedules_table


@click.group("schedule")
def schedule() -> None:
    """Create, list, enable, disable and remove schedules."""


def _prewarm_lead(seconds: int) -> int:
    """The pre-warm lead, 0 to 3600 seconds (the database checks this too)."""
    if not 0 <= seconds <= 3600:
        raise click.BadParameter(
            f"the pre-warm runs 0 to 3600 seconds (1 hour) before each slot, got {seconds}"
        )
    return seconds


@schedule.command("add")
@dsn_option
@org_option
@click.argument("integration_type")
@click.argument("cron")
@click.option("--tz", "time_zone", default="UTC", show_default=True, help="IANA time zone.")
@click.option("--catch-up", type=click.Choice(["none", "latest", "all"]), default="latest",
              show_default=True, help="What to do with slots missed in an outage.")  # fmt: skip
@click.option(
    "--prewarm-lead",
    default=60,
    show_default=True,
    callback=lambda _ctx, _param, value: _prewarm_lead(value),
    help="Seconds before each slot that the pre-warm runs (0 to 3600).",
)
@friendly_errors
def add(
    dsn: str,
    org_id: uuid.UUID,
    integration_type: str,
    cron: str,
    time_zone: str,
    catch_up: str,
    prewarm_lead: int,
) -> None:
    """Create or replace the schedule of an integration (CRON: 5 fields, quoted)."""
    with open_runlog(dsn) as runlog:
        saved = runlog.set_schedule(
            org_id, integration_type, cron, time_zone, catch_up, timedelta(seconds=prewarm_lead)
        )
    click.echo(
        f"{saved.integration_type}: '{saved.cron}' {saved.time_zone}, next {saved.next_slot}"
    )


@schedule.command("list")
@dsn_option
@click.option("--org", "org_id", type=click.UUID, default=None, help="Only this organisation.")
@json_option
@friendly_errors
def list_(dsn: str, org_id: uuid.UUID | None, as_json: bool) -> None:
    """List schedules with their next slot."""
    with open_runlog(dsn, org_id) as runlog:
        found = runlog.schedules(org_id)
        if as_json:
            click.echo(schedules_json(found))
            return
        out = console()
        out.print(schedules_table(found, width=out.width))
        explain_nothing_found(runlog, found)


def _change_command(name: str, verb: str, summary: str) -> None:
    """Register `schedule NAME`: enable, disable or remove one schedule."""

    @schedule.command(name, help=summary)
    @dsn_option
    @org_option
    @click.argument("integration_type")
    @friendly_errors
    def command(dsn: str, org_id: uuid.UUID, integration_type: str) -> None:
        with open_runlog(dsn) as runlog:
            change = {
                "enable": runlog.enable_schedule,
                "disable": runlog.disable_schedule,
                "remove": runlog.delete_schedule,
                "resume": runlog.resume_schedule,
            }[name]
            saved = change(org_id, integration_type)
        click.echo(f"{verb} schedule of {saved.integration_type} ({saved.org_id})")


_change_command("enable", "enabled", "Enable a schedule (slots passed while disabled are skipped).")
_change_command("disable", "disabled", "Disable a schedule: it enqueues nothing until enabled.")
_change_command("remove", "removed", "Delete a schedule (its runs stay in the log).")


@schedule.command("resume")
@dsn_option
@org_option
@click.argument("integration_type")
@friendly_errors
def resume(dsn: str, org_id: uuid.UUID, integration_type: str) -> None:
    """Resume a paused schedule: enable it and reset its dead-period count."""
    with open_runlog(dsn) as runlog:
        running = [
            s
            for s in runlog.schedules(org_id)
            if s.integration_type == integration_type and s.enabled
        ]
        if running:  # auto-pause disables: an enabled schedule was not paused
            click.echo(
                f"schedule of {integration_type} ({org_id}) was not paused: nothing to resume"
            )
            return
        saved = runlog.resume_schedule(org_id, integration_type)
    click.echo(f"resumed schedule of {saved.integration_type} ({saved.org_id})")


@schedule.command("next")
@dsn_option
@click.argument("cron")
@click.option("--tz", "time_zone", default="UTC", show_default=True, help="IANA time zone.")
@click.option("-n", "count", default=5, show_default=True, help="How many slots.")
@json_option
@friendly_errors
def next_(dsn: str, cron: str, time_zone: str, count: int, as_json: bool) -> None:
    """Show the next slots of a cron expression (evaluated by the database)."""
    with open_runlog(dsn) as runlog:
        slots = runlog.next_slots(cron, time_zone, n=count)
    if as_json:
        echo_json([slot.isoformat() for slot in slots])
        return
    for slot in slots:
        click.echo(slot.isoformat())


COMMANDS = [schedule]
