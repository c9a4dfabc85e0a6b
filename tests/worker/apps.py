"""Apps the worker tests run, in-process or as `python -m pyrunlog worker --app ...`.

Handlers record each execution in public.executions of the database named by
PYRUNLOG_TEST_RECORD_DSN, so tests can check exactly-once and no overlap.
"""

from __future__ import annotations

import os
import threading
import time

import psycopg
from psycopg_pool import ConnectionPool

from pyrunlog.app import App, SyncContext
from pyrunlog.failures import TransientError

EXECUTIONS_DDL = """
CREATE TABLE IF NOT EXISTS public.executions (
    run_id bigint NOT NULL,
    org_id uuid NOT NULL,
    integration_type text NOT NULL,
    pid integer NOT NULL,
    started timestamptz NOT NULL,
    ended timestamptz NOT NULL
)
"""

_pool: ConnectionPool | None = None
_pool_lock = threading.Lock()


def record(ctx: SyncContext, started: float, ended: float) -> None:
    global _pool
    dsn = os.environ.get("PYRUNLOG_TEST_RECORD_DSN")
    if not dsn:
        return
    with _pool_lock:
        if _pool is None:
            _pool = ConnectionPool(dsn, min_size=1, max_size=2, open=True)
    for attempt in range(20):  # the database may be restarting under us
        try:
            with _pool.connection() as conn:
                conn.execute(
                    "INSERT INTO public.executions"
                    " VALUES (%s, %s, %s, %s, to_timestamp(%s), to_timestamp(%s))",
                    [
                        ctx.run.id,
                        ctx.run.org_id,
                        ctx.run.integration_type,
                        os.getpid(),
                        started,
                        ended,
                    ],
                )
            return
        except psycopg.OperationalError:
            time.sleep(0.1 * (attempt + 1))
    raise RuntimeError("could not record the execution")


def sleepy(ctx: SyncContext) -> None:
    """Sleeps PYRUNLOG_TEST_SLEEP seconds (cancellable), records, succeeds."""
    started = time.time()
    ctx.sleep(float(os.environ.get("PYRUNLOG_TEST_SLEEP", "0")))
    ctx.report(processed=1)
    record(ctx, started, time.time())


app = App()
for index in range(5):
    app.handler(f"kind_{index}")(sleepy)


def flaky(ctx: SyncContext) -> None:
    """Fails its first attempt (a 503), succeeds later ones; records each success."""
    started = time.time()
    ctx.sleep(float(os.environ.get("PYRUNLOG_TEST_SLEEP", "0")))
    if ctx.run.attempt == 1:
        raise TransientError("503 Service Unavailable")
    ctx.report(processed=1)
    record(ctx, started, time.time())


app.handler("flaky")(flaky)
