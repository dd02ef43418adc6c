"""Read the queries out of the Grafana dashboards and expand Grafana's macros, as Grafana does.

Only the macros and variable formats the dashboards use are supported; anything
else left starting with `$` makes `expand_sql` / `expand_promql` raise, so a
new macro cannot slip past the tests unexpanded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"
PROMETHEUS_TYPE = "prometheus"
POSTGRES_TYPE = "grafana-postgresql-datasource"


@dataclass(frozen=True)
class Query:
    dashboard: str  # file stem
    where: str  # panel title, "variable <name>" or "annotation <name>"
    datasource_type: str
    text: str  # expr or rawSql
    format: str = "table"

    @property
    def id(self) -> str:
        return f"{self.dashboard}:{self.where}"


def load_dashboards(folder: Path = DASHBOARDS) -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}


def iter_panels(panels: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from iter_panels(panel.get("panels", []))


def dashboard_queries(dashboards: Mapping[str, dict[str, Any]]) -> list[Query]:
    """Every query of every dashboard: panel targets, query variables and annotations."""
    found: list[Query] = []
    for name, board in dashboards.items():
        for panel in iter_panels(board["panels"]):
            targets = panel.get("targets", [])
            for target in targets:
                where = panel["title"] + (f" [{target['refId']}]" if len(targets) > 1 else "")
                found.append(_query(name, where, target))
        for variable in board["templating"]["list"]:
            if variable["type"] == "query":
                query = variable["query"]
                text = query if isinstance(query, str) else query["rawSql"]
                kind = variable["datasource"]["type"]
                found.append(Query(name, f"variable {variable['name']}", kind, text))
        for annotation in board["annotations"]["list"]:
            if "target" in annotation:
                found.append(_query(name, f"annotation {annotation['name']}", annotation["target"]))
    return found


def _query(dashboard: str, where: str, target: dict[str, Any]) -> Query:
    kind = target["datasource"]["type"]
    if kind == PROMETHEUS_TYPE:
        return Query(dashboard, where, kind, target["expr"])
    return Query(dashboard, where, kind, target["rawSql"], target.get("format", "table"))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _seconds(interval: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    match = re.fullmatch(r"(\d+)([smhd])", interval)
    if match is None:
        raise ValueError(f"unsupported interval {interval!r}")
    return int(match[1]) * units[match[2]]


def _sqlstring(value: str | Sequence[str]) -> str:
    values = [value] if isinstance(value, str) else list(value)
    return ",".join("'" + v.replace("'", "''") + "'" for v in values)


def expand_sql(
    sql: str,
    *,
    time_from: datetime,
    time_to: datetime,
    interval: str,
    variables: Mapping[str, str | Sequence[str]],
) -> str:
    """`sql` as Grafana's PostgreSQL data source would send it (UTC times)."""
    seconds = _seconds(interval)

    def time_filter(match: re.Match[str]) -> str:
        return f"{match[1]} BETWEEN '{_iso(time_from)}' AND '{_iso(time_to)}'"

    def time_group(match: re.Match[str]) -> str:
        column, step, alias = match[2], _seconds(match[3].strip().strip("'")), match[1]
        group = f"floor(extract(epoch from {column})/{step})*{step}"
        return f'{group} AS "time"' if alias else group

    out = re.sub(r"\$__timeFilter\(([^)]+)\)", time_filter, sql)
    out = out.replace("$__timeFrom()", f"'{_iso(time_from)}'")
    out = out.replace("$__timeTo()", f"'{_iso(time_to)}'")
    out = out.replace("$__interval_ms", str(seconds * 1000)).replace("$__interval", interval)
    out = re.sub(r"\$__timeGroup(Alias)?\(([^,]+),([^)]+)\)", time_group, out)
    out = re.sub(r"\$\{(\w+):sqlstring\}", lambda m: _sqlstring(variables[m[1]]), out)
    out = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: _raw(variables, m[1] or m[2]), out)
    return out


def _raw(variables: Mapping[str, str | Sequence[str]], name: str) -> str:
    if name not in variables:
        raise KeyError(f"no value for Grafana variable or macro ${name}")
    value = variables[name]
    return value if isinstance(value, str) else ",".join(value)


def expand_promql(
    expr: str,
    *,
    interval: str,
    rate_interval: str,
    range_: timedelta,
    variables: Mapping[str, str],
) -> str:
    """`expr` with Grafana's interval variables and dashboard variables substituted."""
    out = (
        expr.replace("$__rate_interval", rate_interval)
        .replace("$__interval", interval)
        .replace("$__range", f"{int(range_.total_seconds())}s")
    )
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: _raw(variables, m[1] or m[2]), out)
