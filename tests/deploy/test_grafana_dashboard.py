"""The Grafana dashboard reads metrics the services really export (a typo would draw an empty panel)."""

import json
import re

from prometheus_client.metrics import MetricWrapperBase

from shared import metrics
from shared.http import app as http_app
from tests.deploy.manifests import ROOT

PROMQL_WORDS = {
    "sum",
    "max",
    "min",
    "avg",
    "rate",
    "histogram_quantile",
    "le",
    "status",
    "event_type",
    "outcome",
    "increase",
}
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "pipeline.json"


def exported_metric_names() -> set[str]:
    names: set[str] = set()
    for module in (metrics, http_app):
        for value in vars(module).values():
            if isinstance(value, MetricWrapperBase):
                names.update(family.name for family in value.describe())
    return names


def test_every_panel_queries_an_exported_metric() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    known = exported_metric_names()
    assert dashboard["panels"]
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = re.sub(r'"[^"]*"', "", target["expr"])
            expr = re.sub(r"\b(by|without) \([^)]*\)|\[[^\]]*\]|\{[^}]*\}", "", expr)
            words = set(re.findall(r"[a-z_][a-z0-9_]*", expr)) - PROMQL_WORDS
            used = {re.sub(r"_(bucket|count|sum)$", "", word) for word in words}
            assert used, target["expr"]
            for name in used:
                assert name in known or name.removesuffix("_total") in known, f"{panel['title']}: {name}"
