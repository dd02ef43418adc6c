"""Which sinks an alert goes to: ordered routing rules read from YAML (`HS_ROUTES`).

    routes:
      - match: {kind: band_entered, min_severity: critical, segment: [enterprise]}
        sinks: [pagerduty, slack]
      - match: {csm_owner: dana@example.com}
        sinks: [slack]
        continue: true      # keep looking after this route matches
      - sinks: [slack, webhook]   # no match: catches everything left
    default: []             # when no route matches (the default: nowhere)

Routes are tried in order; the first matching route decides unless it says
`continue: true`, in which case later matches add their sinks. Every matcher
given must match (and); a list matches any of its values (or); text matches
ignore case. Sinks that are not configured are left out.

Without a routes file: every alert goes to every configured sink, except
PagerDuty, which gets only critical ones.
"""

from __future__ import annotations

import os
from collections.abc import Set
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from models.alerting.event import AlertEvent, AlertKind, AlertStatus, Severity
from models.exceptions import HealthscoreError

SinkName = Literal["slack", "pagerduty", "alertmanager", "webhook"]
SINK_NAMES: tuple[SinkName, ...] = ("slack", "pagerduty", "alertmanager", "webhook")


class RoutesError(HealthscoreError):
    """The routes file is unreadable or invalid; the message names the file and the problem."""


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _folded(values: list[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(v.casefold() for v in values)


OneOrMany = Annotated[list[str], BeforeValidator(_as_list), Field(min_length=1)]
KindList = Annotated[list[AlertKind], BeforeValidator(_as_list), Field(min_length=1)]
StatusList = Annotated[list[AlertStatus], BeforeValidator(_as_list), Field(min_length=1)]


class RouteMatch(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: KindList | None = None
    status: StatusList | None = None
    min_severity: Severity | None = None
    segment: OneOrMany | None = None
    region: OneOrMany | None = None
    csm_owner: OneOrMany | None = None

    def matches(self, alert: AlertEvent) -> bool:
        if self.kind is not None and alert.kind not in self.kind:
            return False
        if self.status is not None and alert.status not in self.status:
            return False
        if self.min_severity is not None and alert.severity.rank < self.min_severity.rank:
            return False
        return all(
            _text_matches(_folded(wanted), actual)
            for wanted, actual in (
                (self.segment, alert.segment),
                (self.region, alert.region),
                (self.csm_owner, alert.csm_owner),
            )
        )


def _text_matches(wanted: frozenset[str] | None, actual: str | None) -> bool:
    return wanted is None or (actual is not None and actual.casefold() in wanted)


class Route(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    match: RouteMatch = RouteMatch()
    sinks: list[SinkName]
    continue_matching: bool = Field(default=False, alias="continue")


class Routes(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    routes: list[Route] = []
    default: list[SinkName] = []

    def sinks_for(self, alert: AlertEvent, configured: Set[str]) -> list[str]:
        """The configured sinks `alert` goes to, in `SINK_NAMES` order, without repeats."""
        chosen: set[str] = set()
        matched = False
        for route in self.routes:
            if route.match.matches(alert):
                matched = True
                chosen.update(route.sinks)
                if not route.continue_matching:
                    break
        if not matched:
            chosen.update(self.default)
        return [name for name in SINK_NAMES if name in chosen and name in configured]

    def referenced_sinks(self) -> set[str]:
        """Every sink some route can send to (to warn at start-up about unconfigured ones)."""
        names = {name for route in self.routes for name in route.sinks}
        return names | set(self.default)


DEFAULT_ROUTES = Routes(
    routes=[
        Route(match=RouteMatch(min_severity=Severity.CRITICAL), sinks=list(SINK_NAMES)),
        Route(sinks=[name for name in SINK_NAMES if name != "pagerduty"]),
    ]
)


def load_routes(path: str | os.PathLike[str] | None) -> Routes:
    """The routes in the YAML file at `path`, or `DEFAULT_ROUTES` when no path is set.

    Raises `RoutesError` naming the file and every problem found.
    """
    if not path:
        return DEFAULT_ROUTES
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise RoutesError(f"routes file {path}: cannot read it ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise RoutesError(f"routes file {path}: not valid YAML ({error})") from None
    if isinstance(document, list):
        document = {"routes": document}
    if not isinstance(document, dict):
        raise RoutesError(f"routes file {path}: expected a mapping with `routes:`")
    try:
        return Routes.model_validate(document)
    except ValidationError as error:
        raise RoutesError(f"routes file {path}: {_describe(error)}") from None


def _describe(error: ValidationError) -> str:
    problems = []
    for detail in error.errors(include_url=False):
        where = ""
        for part in detail["loc"]:
            where += f"[{part}]" if isinstance(part, int) else f".{part}" if where else str(part)
        problems.append(f"{where or 'file'}: {detail['msg']}")
    return "; ".join(problems)
