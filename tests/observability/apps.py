"""The app the worker-probe tests run: one handler that succeeds, one that raises."""

from __future__ import annotations

from pyrunlog.app import App, SyncContext

app = App()


@app.handler("steady")
def steady(ctx: SyncContext) -> None:
    ctx.report(processed=1)


@app.handler("broken")
def broken(ctx: SyncContext) -> None:
    raise RuntimeError("the ledger API answered 500")
