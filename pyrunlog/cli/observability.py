"""The exporter command: Prometheus metrics from runlog.metrics()."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import click
import psycopg

from pyrunlog.cli.common import dsn_option, friendly_errors, open_runlog
from pyrunlog.observability.logs import LOG_FORMATS, configure_logging

log_format_option = click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    default="text",
    show_default=True,
    help="json: one JSON object per line (with run_id, org_id, ... where they apply).",
)


@click.command("exporter")
@dsn_option
@click.option("--listen", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=9465, show_default=True, help="Port of /metrics (0: any free).")
@click.option(
    "--timeout-ms",
    default=2000,
    show_default=True,
    type=click.IntRange(min=1),
    help="statement_timeout of each scrape (at least 1).",
)
@log_format_option
@friendly_errors
def exporter(dsn: str, listen: str, port: int, timeout_ms: int, log_format: str) -> None:
    """Serve /metrics for Prometheus (connect as a runlog_monitor or runlog_admin login)."""
    from pyrunlog.observability.exporter import ExporterServer

    configure_logging(log_format)
    try:
        with open_runlog(dsn):
            pass  # one clear error for a missing, older or newer schema
    except psycopg.OperationalError as exc:
        # The database may come later: serve pyrunlog_exporter_up 0 meanwhile,
        # so Prometheus sees the outage instead of a missing target.
        logging.getLogger("pyrunlog.exporter").warning(
            "cannot reach the database now (%s); serving pyrunlog_exporter_up 0 until it answers",
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
        )
    try:
        server = ExporterServer(dsn, port, listen, timeout_ms)
    except OSError as exc:  # the port is taken, or the address is not this host's
        raise click.ClickException(
            f"cannot listen on {listen}:{port}: {exc.strerror or exc};"
            " pass a free --port (0: any) or another --listen address"
        ) from exc
    logging.getLogger("pyrunlog.exporter").info("serving %s", server.url)
    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    stopped.wait()
    server.close()


COMMANDS = [exporter]
