"""The shipped alert rules: valid, unit-tested with promtool, naming only served metrics."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from pyrunlog.observability.catalog import all_sample_names
from tests.observability.deploy_files import ALERT_TESTS, ALERTS, alert_expressions, metric_names

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool not found: install Debian's prometheus package (make postgres does, as root)",
)


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *args], capture_output=True, text=True, timeout=120, cwd=ALERTS.parent
    )


@needs_promtool
def test_promtool_accepts_the_rules() -> None:
    result = promtool("check", "rules", ALERTS.name)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_every_rule_passes_its_promtool_unit_tests() -> None:
    result = promtool("test", "rules", ALERT_TESTS.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_rule_has_a_unit_test_that_fires_it() -> None:
    import yaml

    tests = yaml.safe_load(ALERT_TESTS.read_text())["tests"]
    fired = {
        case["alertname"]
        for test in tests
        for case in test.get("alert_rule_test", [])
        if case["exp_alerts"]
    }
    assert fired == set(alert_expressions())


def test_every_rule_names_only_metrics_the_exporter_serves() -> None:
    served = all_sample_names()
    for alert, expression in alert_expressions().items():
        names = metric_names(expression)
        assert names, f"{alert} uses no pyrunlog metric"
        assert names <= served, f"{alert} uses metrics nobody serves: {names - served}"
        assert "org_id" not in expression
