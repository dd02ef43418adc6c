"""The Grafana dashboards and provisioning files, checked without any server.

Whether every query actually returns data is tests/integration/test_observability.py.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from sinks.metrics import create_metrics
from tests.support.grafana import (
    DASHBOARDS,
    POSTGRES_TYPE,
    PROMETHEUS_TYPE,
    ROOT,
    dashboard_queries,
    expand_promql,
    expand_sql,
    iter_panels,
    load_dashboards,
)

GRAFANA = ROOT / "deploy" / "grafana"
RULES = ROOT / "deploy" / "prometheus" / "rules" / "healthscore.rules.yml"
# Series Prometheus itself attaches to every scrape target.
SCRAPE_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}


def load_builder() -> ModuleType:
    path = GRAFANA / "build_dashboards.py"
    spec = importlib.util.spec_from_file_location("build_dashboards", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is created.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def provisioned_datasources() -> dict[str, dict[str, Any]]:
    text = (GRAFANA / "provisioning" / "datasources" / "healthscore.yaml").read_text()
    config = yaml.safe_load(text)
    assert config["apiVersion"] == 1
    return {source["uid"]: source for source in config["datasources"]}


def exported_metric_names() -> set[str]:
    """Every series name the worker's registry can expose, from sinks/metrics.py."""
    suffixes = {
        "counter": ["_total"],
        "histogram": ["_bucket", "_sum", "_count"],
        "gauge": [""],
    }
    names: set[str] = set()
    for family in create_metrics().registry.collect():
        names.update(family.name + suffix for suffix in suffixes[family.type])
    return names


def referenced_metrics(expr: str) -> set[str]:
    return set(re.findall(r"\b(healthscore_[a-z0-9_]+)\b", expr))


BOARDS = load_dashboards()


def test_committed_dashboards_are_what_the_builder_generates() -> None:
    rendered = load_builder().render()
    committed = {path.name: path.read_text() for path in DASHBOARDS.glob("*.json")}
    assert set(committed) == set(rendered), "run deploy/grafana/build_dashboards.py"
    for name, text in rendered.items():
        assert committed[name] == text, f"{name} is stale: run deploy/grafana/build_dashboards.py"


def test_there_are_five_dashboards_with_distinct_uids() -> None:
    uids = {board["uid"] for board in BOARDS.values()}
    assert set(BOARDS) == {"portfolio", "account", "pipeline", "renewals", "experience"}
    assert uids == {
        "healthscore-portfolio",
        "healthscore-account",
        "healthscore-pipeline",
        "healthscore-renewals",
        "healthscore-experience",
    }
    for board in BOARDS.values():
        assert board["title"] and isinstance(board["schemaVersion"], int)


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_panels_fit_the_24_column_grid_without_overlapping(name: str) -> None:
    panels = list(iter_panels(BOARDS[name]["panels"]))
    assert len({p["id"] for p in panels}) == len(panels), "panel ids must be unique"
    cells: set[tuple[int, int]] = set()
    for p in panels:
        pos = p["gridPos"]
        assert pos["w"] >= 1 and pos["h"] >= 1
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, p["title"]
        mine = {
            (x, y)
            for x in range(pos["x"], pos["x"] + pos["w"])
            for y in range(pos["y"], pos["y"] + pos["h"])
        }
        assert not mine & cells, f"{p['title']} overlaps another panel"
        cells |= mine


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_every_panel_uses_a_provisioned_datasource_by_type_and_uid(name: str) -> None:
    sources = provisioned_datasources()
    board = BOARDS[name]
    refs = [p["datasource"] for p in iter_panels(board["panels"]) if p["type"] != "row"]
    refs += [t["datasource"] for p in iter_panels(board["panels"]) for t in p.get("targets", [])]
    refs += [v["datasource"] for v in board["templating"]["list"] if "datasource" in v]
    refs += [a["datasource"] for a in board["annotations"]["list"] if "target" in a]
    for ref in refs:
        assert set(ref) == {"type", "uid"}
        assert ref["uid"] in sources, ref
        assert sources[ref["uid"]]["type"] == ref["type"]


def test_the_datasources_are_prometheus_and_postgresql_with_credentials_from_the_environment() -> (
    None
):
    sources = provisioned_datasources()
    types = {source["type"] for source in sources.values()}
    assert types == {PROMETHEUS_TYPE, POSTGRES_TYPE}
    postgres = next(s for s in sources.values() if s["type"] == POSTGRES_TYPE)
    for value in (
        postgres["url"],
        postgres["user"],
        postgres["jsonData"]["database"],
        postgres["secureJsonData"]["password"],
    ):
        assert re.fullmatch(r"\$\{[A-Z_]+\}", value), value
    prometheus = next(s for s in sources.values() if s["type"] == PROMETHEUS_TYPE)
    assert prometheus["url"].startswith("${")


def test_the_dashboard_provider_loads_a_folder_of_files() -> None:
    text = (GRAFANA / "provisioning" / "dashboards" / "healthscore.yaml").read_text()
    config = yaml.safe_load(text)
    assert config["apiVersion"] == 1
    [provider] = config["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"]


QUERIES = dashboard_queries(BOARDS)
SQL_QUERIES = [q for q in QUERIES if q.datasource_type == POSTGRES_TYPE]
PROMQL_QUERIES = [q for q in QUERIES if q.datasource_type == PROMETHEUS_TYPE]


@pytest.mark.parametrize("query", SQL_QUERIES, ids=lambda q: q.id)
def test_sql_time_series_return_a_time_column_filtered_on_the_dashboard_range(query: Any) -> None:
    assert query.format in ("table", "time_series")
    if query.format == "time_series":
        assert re.search(r"AS time\b|\$__timeGroupAlias\(", query.text), "needs a time column"
        assert "$__timeFilter(" in query.text


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.id)
def test_queries_use_only_variables_their_dashboard_defines(query: Any) -> None:
    defined = {v["name"] for v in BOARDS[query.dashboard]["templating"]["list"]}
    used = set(re.findall(r"\$\{(\w+)(?::\w+)?\}|\$(?!__)(\w+)", query.text))
    for braced, plain in used:
        assert (braced or plain) in defined, query.text


@pytest.mark.parametrize("query", PROMQL_QUERIES, ids=lambda q: q.id)
def test_promql_names_only_metrics_the_worker_defines(query: Any) -> None:
    unknown = referenced_metrics(query.text) - exported_metric_names()
    assert not unknown, f"not defined in sinks/metrics.py: {unknown}"
    names = set(re.findall(r"\b([a-z_]+)\{", query.text))
    assert names <= exported_metric_names() | SCRAPE_SERIES, names


def test_every_rule_names_only_metrics_the_worker_defines() -> None:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert rules
    for rule in rules:
        unknown = referenced_metrics(rule["expr"]) - exported_metric_names()
        assert not unknown, f"{rule['alert']}: {unknown}"
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_sql_macros_expand_like_grafana() -> None:
    start = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    sql = (
        "SELECT $__timeGroupAlias(at, $__interval), x FROM t "
        "WHERE $__timeFilter(at) AND id = ${account:sqlstring} AND s IN (${segment:sqlstring}) "
        "AND at > $__timeFrom() AND at < $__timeTo()"
    )
    out = expand_sql(
        sql,
        time_from=start,
        time_to=start + timedelta(hours=1),
        interval="5m",
        variables={"account": "o'brien", "segment": ["smb", "enterprise"]},
    )
    assert out == (
        'SELECT floor(extract(epoch from at)/300)*300 AS "time", x FROM t '
        "WHERE at BETWEEN '2025-01-02T03:04:05Z' AND '2025-01-02T04:04:05Z' "
        "AND id = 'o''brien' AND s IN ('smb','enterprise') "
        "AND at > '2025-01-02T03:04:05Z' AND at < '2025-01-02T04:04:05Z'"
    )


def test_promql_variables_expand_and_unknown_ones_are_refused() -> None:
    expr = 'sum(rate(x{job="$job"}[$__rate_interval])) / sum(increase(x[$__range]))'
    out = expand_promql(
        expr,
        interval="2s",
        rate_interval="10s",
        range_=timedelta(minutes=2),
        variables={"job": "healthscore"},
    )
    assert out == 'sum(rate(x{job="healthscore"}[10s])) / sum(increase(x[120s]))'
    with pytest.raises(KeyError):
        expand_promql(
            "up{job=$nope}",
            interval="2s",
            rate_interval="10s",
            range_=timedelta(minutes=1),
            variables={},
        )


def test_builder_check_mode_reports_a_stale_file(tmp_path: Path) -> None:
    builder = load_builder()
    assert builder.main(["--check"], out=tmp_path) == 1
    assert builder.main([], out=tmp_path) == 0
    assert builder.main(["--check"], out=tmp_path) == 0
