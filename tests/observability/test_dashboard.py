"""The Grafana dashboard charts only metrics pyrunlog serves, and all of the important ones."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from pyrunlog.observability.catalog import SQL_METRICS, all_sample_names
from tests.observability.deploy_files import dashboard_expressions, metric_names


def test_every_dashboard_expression_names_only_served_metrics() -> None:
    served = all_sample_names()
    expressions = dashboard_expressions()
    assert expressions
    for expression in expressions:
        names = metric_names(expression)
        assert names, f"panel query uses no pyrunlog metric: {expression}"
        assert names <= served, f"unknown metrics {names - served} in {expression}"
        assert "org_id" not in expression


def test_the_dashboard_charts_every_metric_from_sql() -> None:
    used = set().union(*(metric_names(e) for e in dashboard_expressions()))
    for spec in SQL_METRICS:
        assert used & set(spec.samples), f"{spec.name} is on no panel"


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_every_dashboard_expression_parses_as_promql(tmp_path: Path) -> None:
    """promtool parses each query as a recording rule (Grafana's $__rate_interval as 1m)."""
    rules = [
        {"record": f"dashboard:query_{index}", "expr": e.replace("$__rate_interval", "1m")}
        for index, e in enumerate(dashboard_expressions())
    ]
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(
        ["promtool", "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout
