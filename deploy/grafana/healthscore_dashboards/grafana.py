"""Building blocks for Grafana dashboard JSON: data sources, targets, panels, layout.

Plain dicts rather than grafana-foundation-sdk (issue #21, tried with its
Grafana 11.6 build): the SDK has no PostgreSQL query type, and 27 of the 47
targets, every query variable and the alert annotation are SQL, so they would
stay raw dicts; override values (links, colours) are untyped there too. Ported
to it, the Pipeline dashboard's body took 215 lines against 232 here, plus 117
lines of helpers for what it alone needed (these 233 serve all three), and its
JSON still differed (no panel ids or refIds, no built-in annotation,
schemaVersion 41, a dozen defaults written out). A tenth fewer lines at best is
not worth a pre-1.0 dependency whose builds are versioned by epoch: `pip
install grafana-foundation-sdk` picks the Grafana 10.1 build; the 11.6 one
that deploy/compose runs needs the pin `1769699379!11.6.0`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]

PROMETHEUS: Json = {"type": "prometheus", "uid": "healthscore-prometheus"}
POSTGRES: Json = {"type": "grafana-postgresql-datasource", "uid": "healthscore-postgres"}
SCHEMA_VERSION = 39
TAGS = ["healthscore"]

BAND_COLORS = {"healthy": "green", "at_risk": "orange", "critical": "red"}
SCORE_THRESHOLDS: Json = {
    "mode": "absolute",
    "steps": [
        {"color": "red", "value": None},
        {"color": "orange", "value": 40},
        {"color": "green", "value": 70},
    ],
}


# --- targets -----------------------------------------------------------------------------


def prom(expr: str, legend: str = "", *, instant: bool = False) -> Json:
    return {
        "datasource": PROMETHEUS,
        "editorMode": "code",
        "expr": expr,
        "legendFormat": legend or "__auto",
        "range": not instant,
        "instant": instant,
    }


def sql(raw: str, fmt: str = "table") -> Json:
    """A PostgreSQL target; `fmt` is "table" or "time_series" (which must return `time`)."""
    return {
        "datasource": POSTGRES,
        "editorMode": "code",
        "format": fmt,
        "rawQuery": True,
        "rawSql": " ".join(raw.split()),
    }


# --- panels and layout --------------------------------------------------------------------


@dataclass
class Grid:
    """Places panels left to right on Grafana's 24-column grid, wrapping into new rows."""

    panels: list[Json] = field(default_factory=list)
    x: int = 0
    y: int = 0
    row_height: int = 0

    def add(self, panel: Json, w: int, h: int) -> None:
        if self.x + w > 24:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        panel["id"] = len(self.panels) + 1
        panel["gridPos"] = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.panels.append(panel)
        self.x += w
        self.row_height = max(self.row_height, h)

    def row(self, title: str) -> None:
        if self.x:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        self.add({"type": "row", "title": title, "collapsed": False, "panels": []}, 24, 1)
        self.x, self.y, self.row_height = 0, self.y + 1, 0


def panel(
    kind: str,
    title: str,
    targets: list[Json],
    *,
    description: str = "",
    unit: str = "short",
    options: Json | None = None,
    defaults: Json | None = None,
    overrides: list[Json] | None = None,
) -> Json:
    datasource = targets[0]["datasource"]
    refs = [{**t, "refId": chr(ord("A") + i)} for i, t in enumerate(targets)]
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": datasource,
        "targets": refs,
        "fieldConfig": {
            "defaults": {"unit": unit, **(defaults or {})},
            "overrides": overrides or [],
        },
        "options": options or {},
    }


def stat(title: str, target: Json, **kwargs: Any) -> Json:
    options = {
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "colorMode": "value",
        "graphMode": "none",
        "textMode": "auto",
    }
    return panel("stat", title, [target], options=options, **kwargs)


def timeseries(title: str, targets: list[Json], **kwargs: Any) -> Json:
    options = {
        "legend": {"displayMode": "table", "placement": "right", "calcs": ["lastNotNull", "max"]},
        "tooltip": {"mode": "multi", "sort": "desc"},
    }
    return panel("timeseries", title, targets, options=options, **kwargs)


def table(title: str, target: Json, **kwargs: Any) -> Json:
    options = {"showHeader": True, "cellHeight": "sm", "footer": {"show": False}}
    return panel("table", title, [target], options=options, **kwargs)


def band_colors() -> list[Json]:
    """Series or values named after a band get the band's colour."""
    return [
        {
            "matcher": {"id": "byName", "options": band},
            "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": color}}],
        }
        for band, color in BAND_COLORS.items()
    ]


def band_value_mappings() -> list[Json]:
    return [
        {
            "type": "value",
            "options": {
                band: {"color": color, "index": i, "text": band.replace("_", " ")}
                for i, (band, color) in enumerate(BAND_COLORS.items())
            },
        }
    ]


def account_link(column: str = "account_id") -> Json:
    return {
        "matcher": {"id": "byName", "options": column},
        "properties": [
            {
                "id": "links",
                "value": [
                    {
                        "title": "Open account",
                        "url": "/d/healthscore-account/healthscore-account"
                        "?var-account=${__value.raw}&${__url_time_range}",
                    }
                ],
            }
        ],
    }


def sql_variable(name: str, label: str, query: str, *, multi: bool) -> Json:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": POSTGRES,
        "query": " ".join(query.split()),
        "definition": " ".join(query.split()),
        "refresh": 2,
        "sort": 0,
        "multi": multi,
        "includeAll": multi,
        "current": {},
        "options": [],
        "hide": 0,
    }


def custom_variable(name: str, label: str, values: list[str]) -> Json:
    """A variable picking one of fixed `values` (the first by default)."""
    options = [{"text": v, "value": v, "selected": i == 0} for i, v in enumerate(values)]
    return {
        "name": name,
        "label": label,
        "type": "custom",
        "query": ",".join(values),
        "current": {"text": values[0], "value": values[0]},
        "options": options,
        "multi": False,
        "includeAll": False,
        "hide": 0,
    }


def dashboard(
    uid: str,
    title: str,
    description: str,
    grid: Grid,
    *,
    variables: list[Json] | None = None,
    annotations: list[Json] | None = None,
    time_from: str = "now-7d",
    refresh: str = "1m",
) -> Json:
    builtin = {
        "builtIn": 1,
        "datasource": {"type": "grafana", "uid": "-- Grafana --"},
        "enable": True,
        "hide": True,
        "iconColor": "rgba(0, 211, 255, 1)",
        "name": "Annotations & Alerts",
        "type": "dashboard",
    }
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": TAGS,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "timezone": "browser",
        "time": {"from": time_from, "to": "now"},
        "refresh": refresh,
        "links": [
            {
                "type": "dashboards",
                "tags": TAGS,
                "asDropdown": True,
                "title": "healthscore",
                "includeVars": False,
                "keepTime": True,
            }
        ],
        "templating": {"list": variables or []},
        "annotations": {"list": [builtin, *(annotations or [])]},
        "panels": grid.panels,
    }
