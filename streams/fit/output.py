"""What `healthscore fit` writes: the model YAML with its header, the report and the JSON.

The YAML is an ordinary model file (`healthscore check-model` accepts it,
`HS_MODEL` loads it) whose header comment says what it was learned from, when,
and how it did on the held-out outcomes. Curves are written one `[x, y]`
breakpoint a line, as in the default model.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import orjson
import yaml

from models.health import Band
from streams.fit.bands import Edge
from streams.fit.fitter import FitResult
from streams.fit.model import Learned

PREDICTORS = (
    ("fitted", "fitted model"),
    ("base", "base model"),
    ("days_since_login", "days since login"),
    ("logistic_regression", "logistic regression"),
)


class _Dumper(yaml.SafeDumper):
    """Lists of numbers ([x, y] breakpoints) in flow style, everything else in block style."""


def _list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(isinstance(item, int | float) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _list)


def _figure(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _edge(edge: Edge) -> str:
    return (
        f"below {edge.edge:g}: {edge.flagged} samples, churn precision "
        f"{_figure(edge.precision)} (target {edge.target:g}), recall {_figure(edge.recall)}"
    )


def summary_lines(result: FitResult) -> list[str]:
    """The figures, one line each: what was learned from and how it did out of time."""
    learned = result.validated
    lines = [
        f"history {result.history}: {result.collected.outcomes} outcomes, "
        f"{result.collected.evaluated} late enough to sample at "
        f"{', '.join(str(d) for d in result.options.sampling.days)} days",
        f"base model {result.base_version}",
    ]
    if result.cut is None:
        lines.append(
            f"learned from all {result.train} samples ({learned.churned} churned), "
            "outcomes " + f"{learned.first_outcome} to {learned.last_outcome}; nothing held out"
        )
    else:
        lines.append(
            f"learned from {result.train} samples ({learned.churned} churned) of outcomes before "
            f"{result.cut:%Y-%m-%d}; tested on {result.test} samples of outcomes from then on"
        )
    lines.append(f"critical (at_risk edge) on the training samples: {_edge(learned.edges[0])}")
    lines.append(f"not healthy (healthy edge) on the training samples: {_edge(learned.edges[1])}")
    for check in result.checks:
        aucs = ", ".join(f"{label} {_figure(check.aucs[key])}" for key, label in PREDICTORS)
        lines.append(
            f"held out, {check.days} days before: {check.samples} samples "
            f"({check.churned} churned); AUC {aucs}"
        )
        low, high = check.edges
        lines.append(
            f"  bands held out: critical precision {_figure(low.precision)} "
            f"recall {_figure(low.recall)}; not healthy precision {_figure(high.precision)} "
            f"recall {_figure(high.recall)}"
        )
    if result.written is not result.validated:
        lines.append(
            f"the model written was learned again on all {result.written.samples} samples "
            "(--refit-all): the held-out figures describe the procedure, not that exact model"
        )
    calibration = result.calibration
    if calibration is not None:
        churn = ", ".join(
            f"{band.value} {o.churned} of {o.renewals}"
            for band in (Band.CRITICAL, Band.AT_RISK, Band.HEALTHY)
            for o in (calibration.outcomes(band),)
        )
        lines.append(
            f"churn per band {calibration.days_before} days before ({calibration.source}): "
            f"{churn} (renewals.churn_calibration)"
        )
    return lines


def write_model(result: FitResult, path: Path, now: datetime | None = None) -> None:
    """The learned model as a YAML file with a header comment."""
    moment = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    header = [
        f"Learned by `healthscore fit` on {moment}. Check it with `healthscore check-model`,",
        "measure it with `healthscore backtest HISTORY --model THIS_FILE`.",
        "",
        *summary_lines(result),
        "",
        "Weights, curves, key/risk features and bands are learned, and the renewals",
        "section's churn calibration measured; everything else is the base model's.",
        "Stage overrides are dropped (they were written for other weights).",
    ]
    data = result.model.model_dump(mode="json")
    for component in data["components"].values():
        for factor in component["factors"].values():
            if factor.get("percentile_curve") is None:
                factor.pop("percentile_curve", None)
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    comment = "\n".join(f"# {line}".rstrip() for line in header)
    path.write_text(f"{comment}\n{body}", encoding="utf-8")


def _learned_json(learned: Learned) -> dict[str, Any]:
    return {
        "version": learned.model.version,
        "samples": learned.samples,
        "churned": learned.churned,
        "outcomes_from": learned.first_outcome,
        "outcomes_to": learned.last_outcome,
        "factor_coefficients": learned.coefficients,
        "curves": {
            key: {"samples": c.samples, "churn_rate_spread": c.spread, "points": c.curve.root}
            for key, c in learned.curves.items()
        },
        "key_features": learned.features.key,
        "risk_features": learned.features.risk,
        "feature_coefficients": learned.features.coefficients,
        "bands": {"at_risk": _edge_json(learned.edges[0]), "healthy": _edge_json(learned.edges[1])},
    }


def _edge_json(edge: Edge) -> dict[str, Any]:
    return {
        "edge": edge.edge,
        "target": edge.target,
        "flagged": edge.flagged,
        "precision": edge.precision,
        "recall": edge.recall,
    }


def result_json(result: FitResult) -> dict[str, Any]:
    return {
        "history": result.history,
        "base_model": result.base_version,
        "outcomes": result.collected.outcomes,
        "evaluated": result.collected.evaluated,
        "cut": result.cut.isoformat() if result.cut else None,
        "train_samples": result.train,
        "test_samples": result.test,
        "refit_all": result.written is not result.validated,
        "churn_calibration": (
            result.calibration.model_dump(mode="json") if result.calibration else None
        ),
        "validated": _learned_json(result.validated),
        "written": _learned_json(result.written),
        "held_out": [
            {
                "days": c.days,
                "samples": c.samples,
                "churned": c.churned,
                "auc": c.aucs,
                "bands": {"at_risk": _edge_json(c.edges[0]), "healthy": _edge_json(c.edges[1])},
            }
            for c in result.checks
        ],
    }


def write_json(result: FitResult, path: Path) -> None:
    path.write_bytes(orjson.dumps(result_json(result), option=orjson.OPT_INDENT_2))


def print_report(result: FitResult, out: TextIO) -> None:
    """What was learned (weights, features, bands) and the validation figures."""
    model = result.model
    print(f"model {model.version}", file=out)
    weights = model.components.weights()
    for component, table in model.components.factor_tables().items():
        if weights[component] <= 0:
            print(f"  {component.value}: weight 0", file=out)
            continue
        kept = ", ".join(f"{name} {f.weight:g}" for name, f in table.items() if f.weight > 0)
        print(f"  {component.value}: weight {weights[component]:g} ({kept})", file=out)
    engagement = model.components.engagement
    print(f"  key_features: {engagement.key_features or 'none'}", file=out)
    print(f"  risk_features: {engagement.risk_features or 'none'}", file=out)
    bands = model.bands
    print(f"  bands: healthy >= {bands.healthy:g}, at_risk >= {bands.at_risk:g}", file=out)
    for line in summary_lines(result):
        print(line, file=out)
