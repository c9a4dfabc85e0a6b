"""Read runlog.metrics(): every pyrunlog metric as (name, kind, labels, value) rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg


@dataclass(frozen=True)
class MetricRow:
    """One sample: its name as Prometheus shows it, its family's kind, labels and value."""

    name: str
    kind: str
    labels: dict[str, str]
    value: float


def read_metrics(conn: psycopg.Connection[Any], timeout_ms: int = 2000) -> list[MetricRow]:
    """Call runlog.metrics() under a statement timeout (in its own transaction)."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "SELECT pg_catalog.set_config('statement_timeout', %s, true)", [str(timeout_ms)]
        )
        cur.execute("SELECT name, kind, labels, value FROM runlog.metrics()")
        return [
            MetricRow(
                str(name), str(kind), {str(k): str(v) for k, v in labels.items()}, float(value)
            )
            for name, kind, labels, value in cur.fetchall()
        ]
