"""The alert rules (deploy/prometheus/rules/) are valid, unit-tested with promtool (each alert fires on a
series that should fire it and stays quiet on one that should not), read metrics the services export (or the
few that issue-tracked work will add), and each has its runbook in deploy/README.md. promtool comes from
Debian's prometheus package (deploy/local/prometheus.sh install, which `make test` runs)."""

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from prometheus_client.metrics import MetricWrapperBase

from services.intake.webhooks import worker as webhook_worker
from tests.deploy.manifests import ROOT
from tests.deploy.test_grafana_dashboard import exported_metric_names

PROMETHEUS = ROOT / "deploy" / "prometheus"
RULES = sorted((PROMETHEUS / "rules").glob("*.yaml"))
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.yaml"))
RUNBOOK = ROOT / "deploy" / "README.md"
# Named now for work in flight: the scheduler's MDT deadlines (issue 15) and the meetings' quorum.
NOT_YET_EXPORTED = {"mdt_deadline_missed_total", "mdt_meetings_without_quorum"}
PROMQL_WORDS = {"sum", "max", "min", "avg", "rate", "increase", "deriv", "and", "or", "unless"}
SCRAPE_METRICS = {"up"}  # Prometheus' own, per target


def promtool(*args: str, cwd: Path = PROMETHEUS) -> str:
    binary = shutil.which("promtool")
    assert binary, "promtool is missing: deploy/local/prometheus.sh install (make test runs it)"
    done = subprocess.run([binary, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def alerts() -> list[dict[str, Any]]:
    return [
        rule
        for path in RULES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def test_the_configurations_and_rules_are_valid() -> None:
    assert RULES and RULE_TESTS
    for config in ("prometheus.yaml", "prometheus-compose.yaml"):
        assert "SUCCESS" in promtool("check", "config", config)
    assert "SUCCESS" in promtool("check", "rules", *map(str, RULES))


def test_the_rules_unit_tests_pass() -> None:
    assert "SUCCESS" in promtool("test", "rules", *map(str, RULE_TESTS))


def test_promtool_fails_a_rule_that_does_not_do_what_its_test_says(tmp_path: Path) -> None:
    """The unit tests bite: the renewal alert loosened to fire on one renewal fails its quiet case."""
    rules = tmp_path / "rules"
    tests = tmp_path / "tests"
    rules.mkdir()
    tests.mkdir()
    for path in RULES:
        text = path.read_text().replace(
            "kafka_producer_renewals_total[15m])) > 2", "kafka_producer_renewals_total[15m])) > 0"
        )
        (rules / path.name).write_text(text)
    for path in RULE_TESTS:
        shutil.copy(path, tests / path.name)
    binary = shutil.which("promtool")
    assert binary
    done = subprocess.run(
        [binary, "test", "rules", *(str(tests / p.name) for p in RULE_TESTS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "ProducerRenewals" in done.stdout + done.stderr


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    cases: dict[str, set[bool]] = {}
    for path in RULE_TESTS:
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                cases.setdefault(case["alertname"], set()).add(bool(case.get("exp_alerts")))
    for rule in alerts():
        assert cases.get(rule["alert"]) == {True, False}, rule["alert"]


def test_every_alert_has_a_runbook_entry_and_a_severity() -> None:
    runbook = RUNBOOK.read_text()
    for rule in alerts():
        name = rule["alert"]
        assert rule["labels"]["severity"] in {"page", "ticket"}, name
        assert rule["annotations"]["runbook_url"] == f"deploy/README.md#{name.lower()}", name
        entry = re.search(rf"^### {name}\n\n(.+?)(?=\n### |\n## |\Z)", runbook, re.MULTILINE | re.DOTALL)
        assert entry and len(entry.group(1).strip()) > 40, f"no runbook entry for {name} in deploy/README.md"


@pytest.mark.parametrize("rule", alerts(), ids=lambda rule: rule["alert"])
def test_alerts_read_exported_metrics(rule: dict[str, Any]) -> None:
    expr = re.sub(r'"[^"]*"', "", rule["expr"])
    expr = re.sub(r"\b(by|without|on|ignoring) \([^)]*\)|\[[^\]]*\]|\{[^}]*\}|\b\d+(\.\d+)?\b", "", expr)
    words = set(re.findall(r"[a-z_][a-z0-9_]*", expr)) - PROMQL_WORDS
    assert words, rule["expr"]
    webhooks = {
        family.name
        for value in vars(webhook_worker).values()
        if isinstance(value, MetricWrapperBase)
        for family in value.describe()
    }
    known = exported_metric_names() | webhooks | NOT_YET_EXPORTED | SCRAPE_METRICS
    for name in words:
        assert name in known or name.removesuffix("_total") in known, f"{rule['alert']}: {name}"
