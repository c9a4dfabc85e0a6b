"""Tenant logins: bind a LOGIN role to one organisation, or unbind it (runlog_admin)."""

from __future__ import annotations

import uuid

import click

from pyrunlog.cli.common import dsn_option, friendly_errors, open_runlog


@click.group("login")
def login() -> None:
    """Bind tenant logins to one organisation (docs/security.md)."""


@login.command("bind")
@dsn_option
@click.argument("login_name")
@click.argument("org_id", type=click.UUID)
@friendly_errors
def bind(dsn: str, login_name: str, org_id: uuid.UUID) -> None:
    """LOGIN_NAME acts for ORG_ID only, whatever claim it sets."""
    with open_runlog(dsn) as runlog:
        runlog.bind_login(login_name, org_id)
    click.echo(f"{login_name} is bound to organisation {org_id}")


@login.command("unbind")
@dsn_option
@click.argument("login_name")
@friendly_errors
def unbind(dsn: str, login_name: str) -> None:
    """LOGIN_NAME acts through its claim again."""
    with open_runlog(dsn) as runlog:
        was_bound = runlog.unbind_login(login_name)
    click.echo(f"{login_name} {'is no longer bound' if was_bound else 'was not bound'}")


COMMANDS = [login]
