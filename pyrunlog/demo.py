"""The demo: the run log on a throwaway PostgreSQL with pg_cron."""

from __future__ import annotations

import random
import uuid

from rich.console import Console

from pyrunlog.errors import AlreadyRunning, DuplicatePeriod
from pyrunlog.localpg import CRON_DATABASE, LocalPostgres
from pyrunlog.migrate import migrate
from pyrunlog.repository import RunLog

ORGS = {
    "Fjordline AS": uuid.UUID("00000000-0000-4000-8000-00000000a001"),
    "Nordkapp Regnskap": uuid.UUID("00000000-0000-4000-8000-00000000b002"),
}
INTEGRATIONS = ("xledger", "dynamics_365")


def run_demo(console: Console) -> None:
    """Start a cluster, deploy the schema, run syncs for two organisations, show them."""
    with console.status("starting a throwaway PostgreSQL with pg_cron..."), LocalPostgres() as pg:
        dsn = pg.dsn(CRON_DATABASE)
        applied = migrate(dsn)
        console.print(f"migrated: applied {', '.join(f'{v:04d}' for v in applied)}")
        rng = random.Random(7)
        with RunLog(dsn) as runlog:
            for org_name, org_id in ORGS.items():
                for integration in INTEGRATIONS:
                    for attempt in range(3):
                        _one_sync(runlog, org_id, integration, rng, attempt)
                console.print(f"ran 6 syncs for {org_name}")
            _show_guards(runlog, console)
            from pyrunlog.display import runs_table

            for org_name, org_id in ORGS.items():
                console.print(runs_table(runlog.last_runs(org_id), title=f"last runs: {org_name}"))
            scoped = runlog.for_org(ORGS["Fjordline AS"])
            seen = {run.org_id for run in scoped.run_history(max_rows=100)}
            console.print(
                f"a reader scoped to Fjordline sees organisations: {sorted(map(str, seen))}"
            )


def _one_sync(
    runlog: RunLog, org_id: uuid.UUID, integration: str, rng: random.Random, attempt: int
) -> None:
    """One simulated export: fails sometimes, has failed records sometimes."""
    try:
        with runlog.run(org_id, integration) as run:
            records = rng.randint(50, 500)
            if rng.random() < 0.2:
                raise ConnectionError(f"{integration} API answered 503 Service Unavailable")
            run.report(processed=records, failed=rng.choice([0, 0, 0, 3]))
    except ConnectionError:
        pass  # recorded as a failed run; the demo goes on


def _show_guards(runlog: RunLog, console: Console) -> None:
    org_id = ORGS["Fjordline AS"]
    first = runlog.start_run(org_id, "xledger", idempotency_key="fjordline/xledger/2026-11")
    try:
        runlog.start_run(org_id, "xledger")
    except AlreadyRunning as exc:
        console.print(f"[yellow]refused:[/] {exc}")
    runlog.finish_run(first.id, "succeeded", records_processed=120)
    try:
        runlog.start_run(org_id, "xledger", idempotency_key="fjordline/xledger/2026-11")
    except DuplicatePeriod as exc:
        console.print(f"[yellow]refused:[/] {exc}")
