"""AsyncRunLog: the same API under asyncio."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from pyrunlog import AlreadyRunning, AsyncRunLog, NotRunning, RateLimited, RunStatus
from pyrunlog.migrate import latest_version

ORG = uuid.UUID("00000000-0000-4000-8000-000000000006")


def test_async_api_round_trip(admin_dsn: str) -> None:
    async def scenario() -> None:
        async with await AsyncRunLog.connect(admin_dsn) as runlog:
            run = await runlog.start_run(ORG, "xledger")
            with pytest.raises(AlreadyRunning):
                await runlog.start_run(ORG, "xledger")
            await runlog.heartbeat(run.id, 5)
            done = await runlog.finish_run(run.id, "succeeded")
            assert done.records_processed == 5
            queued = await runlog.request_sync(ORG, "visma")
            claimed = await runlog.claim_next("aw", ["visma"])
            assert claimed is not None
            assert claimed.id == queued.id
            await runlog.cancel_run(claimed.id, "stop")
            assert [r.integration_type for r in await runlog.last_runs(ORG)] == [
                "visma",
                "xledger",
            ]
            assert len(await runlog.for_org(ORG).run_history()) == 2
            assert await runlog.version() == f"{latest_version():04d}"

    asyncio.run(scenario())


def test_async_run_context_outcomes(admin_dsn: str) -> None:
    async def scenario() -> list[RunStatus]:
        async with await AsyncRunLog.connect(admin_dsn) as runlog:
            async with runlog.run(ORG, "xledger") as ok:
                ok.report(processed=3, failed=1)
                await ok.heartbeat()
            with pytest.raises(TimeoutError):
                async with runlog.run(ORG, "xledger") as failing:
                    raise TimeoutError("vendor timeout")
            assert failing.run.error_message == "TimeoutError: vendor timeout"
            with pytest.raises(NotRunning):
                async with runlog.run(ORG, "xledger") as cancelled:
                    await runlog.cancel_run(cancelled.run.id)
            with pytest.raises(ValueError, match="x"):
                async with runlog.run(ORG, "xledger") as again:
                    await runlog.cancel_run(again.run.id)
                    raise ValueError("x")
            return [r.status for r in await runlog.run_history(ORG)]

    assert asyncio.run(scenario()) == [
        RunStatus.CANCELLED,
        RunStatus.CANCELLED,
        RunStatus.FAILED,
        RunStatus.PARTIAL,
    ]


def test_async_run_context_records_the_failure_type(worker_dsn: str) -> None:
    async def scenario() -> tuple[str | None, str | None, int]:
        async with await AsyncRunLog.connect(worker_dsn) as runlog:
            with pytest.raises(RateLimited):
                async with runlog.run(ORG, "xledger", idempotency_key="p") as limited:
                    raise RateLimited("429", retry_after=60)
            queued = [r for r in await runlog.run_history(ORG) if r.status is RunStatus.QUEUED]
            return limited.run.failure_type, limited.run.retry_decision, len(queued)

    assert asyncio.run(scenario()) == ("rate_limited", "retry", 1)
