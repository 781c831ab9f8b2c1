"""The shipped Grafana dashboard and alert rules name only metrics the service exposes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from prakerja.api.app import create_app
from prakerja.container import Container
from tests.helpers import register

DEPLOY = Path(__file__).parents[2] / "deploy"
_NAME = re.compile(r"\b(prakerja_[a-z0-9_]+)\b")
_SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")
_LABEL = re.compile(r"\b([a-z_]+)\s*(?:=~|!=|!~|=)\s*\"")


def dashboard_expressions() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "prakerja.json").read_text())
    assert dashboard["uid"] and dashboard["panels"]
    found = []
    for panel in dashboard["panels"]:
        assert panel["title"] and panel["targets"], panel
        found += [target["expr"] for target in panel["targets"]]
    return found


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    rules: list[dict[str, Any]] = [r for group in document["groups"] for r in group["rules"]]
    for rule in rules:
        assert {"alert", "expr", "for", "labels", "annotations"} <= rule.keys(), rule
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"]
    return rules


def family_of(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


@pytest.mark.postgres
def test_every_metric_and_label_the_files_name_is_in_a_scrape(pg_container: Container) -> None:
    with TestClient(app=create_app(pg_container)) as client:
        register(client)
        text = client.get("/metrics").text
    families = {family.name: family for family in text_string_to_metric_families(text)}
    expressions = dashboard_expressions() + [rule["expr"] for rule in alert_rules()]
    assert len(expressions) > 20
    alerts = {rule["alert"] for rule in alert_rules()}
    for wanted in ("Lagging", "BreakerOpen", "HttpErrors", "StuckWork"):
        assert any(wanted in alert for alert in alerts), wanted
    missing = []
    for expression in expressions:
        for name in _NAME.findall(expression):
            if family_of(name) not in families:
                missing.append(name)
    assert missing == [], f"named but not exposed: {sorted(set(missing))}"
    exposed_labels = {"le"} | {
        label for family in families.values() for s in family.samples for label in s.labels
    }
    # Labels of families recorded only by workers are not in this scrape: the code says them.
    exposed_labels |= {"stage", "outcome", "reason", "service", "operation", "limit", "type"}
    for expression in expressions:
        for label in _LABEL.findall(expression):
            assert label in exposed_labels, (label, expression)
