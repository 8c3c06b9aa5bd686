"""The Prometheus alert rules: well formed, pointing at runbooks that exist, and only on series
the app exposes. An alert on a misspelt metric or route is silent forever, so this is checked
against the real registry and the real routes, not against a list kept by hand."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from application.ports.jobs import FailingJob, JobOutcome, QueueStats
from domain.bookings import BookingStatus
from infrastructure.metrics import PrometheusMetrics
from infrastructure.settings import Settings
from interfaces.http.app import create_app

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "ops" / "alerts" / "holdfast.rules.yml"
# prometheus_client's exposition suffixes per metric type.
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gauge": ("",),
    "summary": ("", "_sum", "_count", "_created"),
}
SELECTOR = re.compile(r"\b(holdfast_[a-z0-9_]+)\b\s*(?:\{([^}]*)\})?")
MATCHER = re.compile(r'(\w+)\s*(?:=~|!~|!=|=)\s*"([^"]*)"')


def _rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def _exercised() -> PrometheusMetrics:
    """Every instrument touched once, so each labelled family has a child to show its labels."""
    metrics = PrometheusMetrics()
    metrics.hold_placed()
    metrics.hold_rejected("insufficient_inventory")
    metrics.booking_moved(BookingStatus.CONFIRMED)
    metrics.webhook_handled("dead")
    metrics.http_request("POST", "/v1/holds", 500, 0.01)
    metrics.job_finished("expire_holds", JobOutcome.FAILED, 0.01)
    failing = FailingJob("relay_outbox", 3, datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC), "boom")
    metrics.queue_observed(QueueStats(queued=1, scheduled=0, active=0), dead_letters=1, failing=[failing])
    metrics.reconciliation_finished("inventory", 0)
    return metrics


def _exposed() -> dict[str, set[str]]:
    """Sample name -> its label names, as the app serves them at /metrics."""
    registry = _exercised().registry
    exposed: dict[str, set[str]] = {}
    for family in registry.collect():
        for suffix in SUFFIXES[family.type]:
            exposed.setdefault(family.name + suffix, set())
        for sample in family.samples:
            exposed.setdefault(sample.name, set()).update(sample.labels)
    return exposed


def _route_templates(tmp_path: Path) -> set[str]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db", expiry_sweep_seconds=0)
    # The metrics middleware labels requests with the router's path_template: {name}, no type.
    return {re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path) for route in create_app(settings).routes}


def test_the_rules_file_has_rules() -> None:
    assert len(_rules()) >= 7


@pytest.mark.parametrize("rule", _rules(), ids=lambda rule: rule.get("alert", "?"))
def test_every_rule_is_complete_and_points_at_a_runbook(rule: dict[str, Any]) -> None:
    for key in ("alert", "expr", "for"):
        assert rule.get(key) not in (None, ""), f"{rule.get('alert')}: no {key}"
    assert rule.get("labels", {}).get("severity") in {"critical", "warning", "info"}
    annotations = rule.get("annotations", {})
    assert annotations.get("summary"), f"{rule['alert']}: no summary"
    runbook = annotations.get("runbook")
    assert runbook, f"{rule['alert']}: no runbook"
    assert runbook.startswith("ops/runbooks/"), runbook
    assert (ROOT / runbook).is_file(), f"{rule['alert']}: {runbook} does not exist"


def test_alert_names_are_unique() -> None:
    names = [rule["alert"] for rule in _rules()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("rule", _rules(), ids=lambda rule: rule["alert"])
def test_every_metric_and_label_in_an_expr_is_one_the_app_exposes(rule: dict[str, Any]) -> None:
    exposed = _exposed()
    for name, matchers in SELECTOR.findall(rule["expr"]):
        assert name in exposed, f"{rule['alert']}: {name} is not exposed; known: {sorted(exposed)}"
        for label, _value in MATCHER.findall(matchers):
            assert label in exposed[name], f"{rule['alert']}: {name} has no label {label!r}"


def test_route_labels_are_real_route_templates(tmp_path: Path) -> None:
    templates = _route_templates(tmp_path)
    used = {
        value
        for rule in _rules()
        for _name, matchers in SELECTOR.findall(rule["expr"])
        for label, value in MATCHER.findall(matchers)
        if label == "route"
    }
    assert used, "the latency alerts should select routes"
    assert used <= templates, f"not route templates: {sorted(used - templates)}"


def test_the_latency_thresholds_sit_on_bucket_bounds() -> None:
    from infrastructure.metrics import LATENCY_BUCKETS

    for rule in _rules():
        if "histogram_quantile" in rule["expr"]:
            threshold = float(rule["expr"].rsplit(">", 1)[1])
            assert threshold in LATENCY_BUCKETS, f"{rule['alert']}: {threshold} is not a bucket bound"
