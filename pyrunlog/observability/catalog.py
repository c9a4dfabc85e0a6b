"""The metrics runlog.metrics() returns: names, kinds, labels and help texts.

This catalogue is the single list the exporter's HELP lines, docs/observability.md,
the alert-rule and dashboard checks and the postgres_exporter queries are checked
against. No metric has an org_id label: per-organisation detail stays in the SQL views.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricSpec:
    """One metric family as Prometheus sees it."""

    name: str
    kind: str  # counter, gauge or histogram
    labels: tuple[str, ...]
    help: str

    @property
    def samples(self) -> tuple[str, ...]:
        """The sample names the family exposes."""
        if self.kind == "histogram":
            return (f"{self.name}_bucket", f"{self.name}_sum", f"{self.name}_count")
        if self.kind == "counter":
            return (f"{self.name}_total",)
        return (self.name,)


SQL_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "pyrunlog_runs_finished",
        "counter",
        ("integration_type", "status", "failure_type"),
        "Runs finished, by the status they ended with and their failure type (none when"
        " there is none). Kept in runlog.run_counters, so retention does not lower it.",
    ),
    MetricSpec(
        "pyrunlog_retries_scheduled",
        "counter",
        ("integration_type", "failure_type"),
        "Retries queued by the retry policy, by the failed attempt's failure type. Kept in"
        " runlog.retry_counters (from migration 0010 on: it starts at 0 then).",
    ),
    MetricSpec(
        "pyrunlog_periods_dead",
        "counter",
        ("integration_type", "reason"),
        "Periods the retry policy gave up on, by reason (exhausted, not_retryable,"
        " window_closed). Kept in runlog.retry_counters (from migration 0010 on: it starts"
        " at 0 then).",
    ),
    MetricSpec(
        "pyrunlog_dead_periods",
        "gauge",
        ("integration_type",),
        "Periods dead now (in the log, not re-queued by retry_period): the retry policy gave"
        " up on them. An operator's cancel_run is not counted (it decides no retry).",
    ),
    MetricSpec(
        "pyrunlog_start_drift_seconds",
        "histogram",
        ("integration_type",),
        "How late scheduled runs started after their slot (started_at - scheduled_for);"
        " first attempts only: a retry waits on purpose.",
    ),
    MetricSpec(
        "pyrunlog_cold_starts",
        "counter",
        ("integration_type",),
        "Scheduled runs that started without a successful pre-warm for their slot.",
    ),
    MetricSpec(
        "pyrunlog_runs",
        "gauge",
        ("integration_type", "status"),
        "Runs queued or running now.",
    ),
    MetricSpec(
        "pyrunlog_retries_pending",
        "gauge",
        ("integration_type",),
        "Queued retries (attempt 2 or later) waiting for their run_after or a worker.",
    ),
    MetricSpec(
        "pyrunlog_oldest_ready_queued_age_seconds",
        "gauge",
        ("integration_type",),
        "Age of the oldest queued run that is due (queue lag), measured from when it fell"
        " due (a retry's run_after, else its slot, else when it was queued); a retry whose"
        " run_after is still ahead is not ready. 0 when none waits.",
    ),
    MetricSpec(
        "pyrunlog_oldest_running_heartbeat_age_seconds",
        "gauge",
        ("integration_type",),
        "Seconds since the oldest last heartbeat of a running run; 0 when none runs.",
    ),
    MetricSpec(
        "pyrunlog_schedules_enabled",
        "gauge",
        ("integration_type",),
        "Enabled schedules.",
    ),
    MetricSpec(
        "pyrunlog_schedules_paused",
        "gauge",
        ("integration_type",),
        "Paused (disabled) schedules: they enqueue nothing.",
    ),
    MetricSpec(
        "pyrunlog_schedules_auto_paused",
        "gauge",
        ("integration_type",),
        "Schedules paused automatically after dead periods in a row (paused_at set); also"
        " counted in pyrunlog_schedules_paused.",
    ),
    MetricSpec(
        "pyrunlog_schedules_behind",
        "gauge",
        ("integration_type",),
        "Enabled schedules whose next slot is more than 2 minutes (two ticks) in the past.",
    ),
    MetricSpec(
        "pyrunlog_tick_last_success_timestamp_seconds",
        "gauge",
        (),
        "Unix time of the last tick() that committed (scheduler_state.last_tick_at); 0 if never.",
    ),
    MetricSpec(
        "pyrunlog_integrations_unhealthy",
        "gauge",
        ("integration_type",),
        "Integrations (of all organisations) whose external API is unhealthy.",
    ),
    MetricSpec(
        "pyrunlog_integrations_healthy",
        "gauge",
        ("integration_type",),
        "Integrations (of all organisations) whose external API is healthy.",
    ),
    MetricSpec(
        "pyrunlog_integrations_unknown",
        "gauge",
        ("integration_type",),
        "Integrations (of all organisations) whose health is not known yet.",
    ),
    MetricSpec(
        "pyrunlog_rate_limit_holds",
        "gauge",
        ("integration_type",),
        "Integrations (of all organisations) held by a rate limit now: nothing of theirs is"
        " claimed before held_until.",
    ),
    MetricSpec(
        "pyrunlog_workers_alive",
        "gauge",
        (),
        "Distinct workers holding a running run whose heartbeat is within"
        " settings.heartbeat_timeout (idle workers are not seen).",
    ),
)

EXPORTER_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "pyrunlog_exporter_scrape_duration_seconds",
        "gauge",
        (),
        "How long the last call of runlog.metrics() took.",
    ),
    MetricSpec(
        "pyrunlog_exporter_scrape_errors",
        "counter",
        (),
        "Scrapes whose runlog.metrics() call failed (connection, timeout, permission).",
    ),
    MetricSpec(
        "pyrunlog_exporter_up",
        "gauge",
        (),
        "1 when the last call of runlog.metrics() succeeded, else 0.",
    ),
)

WORKER_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "pyrunlog_worker_handler_duration_seconds",
        "histogram",
        ("integration_type", "status"),
        "How long the worker's sync handler ran, by the status the run ended with.",
    ),
    MetricSpec(
        "pyrunlog_worker_runs_in_flight",
        "gauge",
        (),
        "Runs this worker is executing now.",
    ),
    MetricSpec(
        "pyrunlog_worker_claims",
        "counter",
        (),
        "Runs this worker has claimed.",
    ),
)


def by_name(specs: tuple[MetricSpec, ...]) -> dict[str, MetricSpec]:
    """The specs keyed by family name."""
    return {spec.name: spec for spec in specs}


def family_of(sample: str, kind: str) -> str:
    """The family name of a sample name (strips _total, _bucket, _sum, _count)."""
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}
    for suffix in suffixes.get(kind, ()):
        if sample.endswith(suffix):
            return sample[: -len(suffix)]
    return sample


def all_sample_names() -> set[str]:
    """Every sample name pyrunlog serves (exporter and worker)."""
    return {
        sample
        for spec in SQL_METRICS + EXPORTER_METRICS + WORKER_METRICS
        for sample in spec.samples
    }


def markdown_table() -> str:
    """The metric list of docs/observability.md (python -m pyrunlog.observability.catalog)."""
    lines = ["| metric | type | labels | served by | meaning |", "|---|---|---|---|---|"]
    for source, specs in (
        ("exporter (SQL)", SQL_METRICS),
        ("exporter", EXPORTER_METRICS),
        ("worker", WORKER_METRICS),
    ):
        for spec in specs:
            samples = ", ".join(f"`{sample}`" for sample in spec.samples)
            labels = ", ".join(spec.labels) or "-"
            lines.append(f"| {samples} | {spec.kind} | {labels} | {source} | {spec.help} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
