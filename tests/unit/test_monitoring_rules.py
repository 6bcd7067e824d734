"""The Prometheus alert rules in infra/monitoring/: ``promtool check rules`` accepts them and
``promtool test rules`` fires each alert from synthetic series. Without promtool (Debian's
``prometheus`` package; ``.ci/run`` installs it) the tests skip, and fail in CI."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from telemetry import names
from tests.services import service_missing

MONITORING = Path(__file__).resolve().parents[2] / "infra" / "monitoring"


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        service_missing("promtool is not installed (apt-get install prometheus)")
    return found


def run_promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args], cwd=MONITORING, capture_output=True, text=True, timeout=120
    )


def test_the_rules_are_valid() -> None:
    result = run_promtool("check", "rules", "rules.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_alert_fires_from_synthetic_series() -> None:
    result = run_promtool("test", "rules", "rules_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test_and_a_runbook_entry() -> None:
    rules = (MONITORING / "rules.yml").read_text()
    alerts = set(re.findall(r"- alert: (\w+)", rules))
    tested = set(re.findall(r"alertname: (\w+)", (MONITORING / "rules_test.yml").read_text()))
    readme = (MONITORING.parents[1] / "README.md").read_text()
    assert alerts and alerts <= tested
    assert [alert for alert in sorted(alerts) if f"`{alert}`" not in readme] == []


def test_rules_and_dashboard_use_only_metric_names_we_export() -> None:
    """A renamed metric must not leave an alert or a panel silently empty."""
    ours = {
        getattr(names, n) for n in dir(names) if n.isupper() and isinstance(getattr(names, n), str)
    }
    exported = {re.sub(r"_(bucket|count|sum)$", "", name) for name in ours}
    panels = json.loads((MONITORING / "dashboard.json").read_text())
    text = (MONITORING / "rules.yml").read_text() + json.dumps(panels)
    used = {re.sub(r"_(bucket|count|sum)$", "", m) for m in re.findall(r"philomath_\w+", text)}
    assert used and used <= exported
