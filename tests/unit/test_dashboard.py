"""The observability files agree with the code: every metric the Grafana dashboard
queries is one the workers export, the dashboard's data source is the provisioned one,
and Prometheus scrapes every worker where compose.yaml serves its metrics."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.telemetry.metrics import ServiceMetrics
from workers.bootstrap import WORKERS

ROOT = Path(__file__).resolve().parents[2]
OBSERVABILITY = ROOT / "infra" / "observability"
DASHBOARD = OBSERVABILITY / "grafana" / "dashboards" / "alpes.json"
DATASOURCES = OBSERVABILITY / "grafana" / "provisioning" / "datasources" / "prometheus.yaml"
PROMETHEUS = OBSERVABILITY / "prometheus.yml"
COMPOSE = ROOT / "compose.yaml"

# Series Prometheus makes itself for every target.
PROMETHEUS_OWN = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"}
_KEYWORDS |= {"group_left", "group_right", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (functions, aggregations, label
    names, keywords and durations left out)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # range selectors and subqueries
    expr = re.sub(
        r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr
    )  # grouping label lists
    names = set()
    for match in re.finditer(r"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*", expr):
        word, after = match.group(0), expr[match.end() :].lstrip()
        if after.startswith("(") or word.lower() in _KEYWORDS:
            continue  # a function or an aggregation, or a keyword
        names.add(word)
    return names


def test_the_extraction_finds_metrics_and_only_metrics() -> None:
    expr = (
        'histogram_quantile(0.99, sum by (le) (rate(alpes_x_bucket{job=~"a|b"}[5m]))) '
        "/ on (job) group_left sum without (instance) (alpes_y_total offset 1h) > bool 2"
    )
    assert metric_names(expr) == {"alpes_x_bucket", "alpes_y_total"}


def expressions(node: Any) -> list[str]:
    """Every ``expr`` of every target, in panels and in rows' panels."""
    found: list[str] = []
    if isinstance(node, dict):
        if isinstance(node.get("expr"), str):
            found.append(node["expr"])
        for value in node.values():
            found += expressions(value)
    elif isinstance(node, list):
        for item in node:
            found += expressions(item)
    return found


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def test_every_metric_the_dashboard_queries_is_exported() -> None:
    exported = ServiceMetrics().exported_names() | PROMETHEUS_OWN
    queried = {name for expr in expressions(dashboard()) for name in metric_names(expr)}
    assert queried, "the dashboard queries nothing"
    assert queried - exported == set(), (
        f"the dashboard queries metrics no worker exports: {sorted(queried - exported)}"
    )


def test_the_dashboard_shows_every_metric_of_the_service() -> None:
    """A new alpes_ metric gets a panel (or is deliberately left out here)."""
    families = {
        family.name
        for family in ServiceMetrics().registry.collect()
        if family.name.startswith("alpes_")
    }
    text = DASHBOARD.read_text(encoding="utf-8")
    assert {f for f in families if f not in text} == set()


def test_every_panel_reads_the_provisioned_data_source() -> None:
    sources = yaml.safe_load(DATASOURCES.read_text(encoding="utf-8"))["datasources"]
    [prometheus] = [s for s in sources if s["type"] == "prometheus"]
    assert prometheus["url"] == "http://prometheus:9090"
    for panel in dashboard()["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == prometheus["uid"], panel["title"]


@pytest.mark.parametrize("worker", WORKERS)
def test_prometheus_scrapes_every_worker_on_its_metrics_port(worker: str) -> None:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    environment = compose["services"][worker]["environment"]
    port = re.fullmatch(r"\$\{ALPES_METRICS_PORT:-(\d+)\}", environment["ALPES_METRICS_PORT"])
    assert port, environment["ALPES_METRICS_PORT"]
    jobs = {
        job["job_name"]: job
        for job in yaml.safe_load(PROMETHEUS.read_text(encoding="utf-8"))["scrape_configs"]
    }
    [discovery] = jobs[worker]["dns_sd_configs"]
    assert discovery["names"] == [worker], "every replica of the service, through its name"
    assert discovery["port"] == int(port.group(1))
