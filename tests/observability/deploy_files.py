"""The shipped monitoring files and the metric names their expressions use."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "prometheus" / "pyrunlog-alerts.yml"
ALERT_TESTS = ROOT / "deploy" / "prometheus" / "pyrunlog-alerts.test.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "pyrunlog.json"
PG_EXPORTER_QUERIES = ROOT / "deploy" / "postgres_exporter" / "queries.yaml"

_NAME = re.compile(r"(?<![\w:])pyrunlog_[a-zA-Z0-9_:]*")


def metric_names(expression: str) -> set[str]:
    """The pyrunlog metric names a PromQL expression mentions."""
    return set(_NAME.findall(expression))


def alert_expressions() -> dict[str, str]:
    """Alert name -> expression, from the shipped rule file."""
    rules = yaml.safe_load(ALERTS.read_text())
    return {rule["alert"]: rule["expr"] for group in rules["groups"] for rule in group["rules"]}


def _targets(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("expr"), str):
            yield node["expr"]
        for child in node.values():
            yield from _targets(child)
    elif isinstance(node, list):
        for child in node:
            yield from _targets(child)


def dashboard_expressions() -> list[str]:
    """Every PromQL expression of the shipped Grafana dashboard."""
    return list(_targets(json.loads(DASHBOARD.read_text())))
