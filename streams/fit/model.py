"""Learn a `HealthModel` from training samples: features, curves, weights, bands.

In that order, each step on the training samples only (the compared ones
with enough data; streams/fit/sampling.py):

1. key and risk features (streams/fit/features.py), so their factors can be measured;
2. every factor's curve, and a ranked factor's percentile curve
   (streams/fit/curves.py), from its measures (ranks);
3. the weights (streams/fit/weights.py) on the re-curved values;
4. the band edges (streams/fit/bands.py) on the new model's scores.

Everything else — windows, limits, drivers, alerts, the population settings,
the neutral score and which factors are ranked — is the base model's. Stage
overrides are not kept: their weights and bands were written for the base
weights and would undo the learned ones (the weights are learned across the
accounts of every stage). A factor that learned nothing keeps its base curve
with weight 0, so the file still shows what it would measure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from models.model_config import HealthModel
from models.model_parts import Factor
from streams.fit.bands import Edge, choose_edges
from streams.fit.curves import LearnedCurve, health_rises, learn_curve
from streams.fit.exceptions import FitError
from streams.fit.features import LearnedFeatures, learn_features
from streams.fit.rescore import factor_value, readings_under, rescore
from streams.fit.sampling import FitSample, Reading
from streams.fit.weights import learn_weights


@dataclass(frozen=True, slots=True)
class Targets:
    """What the fitter aims at; see the modules each setting goes to."""

    precision: float = 0.5  # churn precision of `critical` (bands)
    at_risk_precision: float = 0.3  # churn precision of critical + at_risk (bands)
    c: float = 1.0  # inverse L2 strength of the weights' regression
    feature_c: float = 0.05  # inverse L1 strength of the features' regression


@dataclass(frozen=True, slots=True)
class Learned:
    model: HealthModel
    curves: dict[str, LearnedCurve]  # "component.factor" (+ ".percentile") -> learned curve
    coefficients: dict[str, float]  # each factor's -coefficient (its raw weight)
    features: LearnedFeatures
    edges: tuple[Edge, Edge]  # (at_risk, healthy) on the training samples
    samples: int
    churned: int
    first_outcome: str
    last_outcome: str


def _with(base: HealthModel, change: dict[str, Any]) -> HealthModel:
    data = base.model_dump(mode="json")
    data.update(change)
    return HealthModel.model_validate(data)


def _learn_factor(
    key: str, factor: Factor, views: Sequence[Mapping[str, Reading]], labels: list[bool]
) -> tuple[Factor | None, dict[str, LearnedCurve]]:
    xs: list[float] = []
    x_labels: list[bool] = []
    ranks: list[float] = []
    rank_labels: list[bool] = []
    for view, churned in zip(views, labels, strict=True):
        reading = view.get(key)
        if reading is None or reading.measure is None:
            continue
        xs.append(reading.measure)
        x_labels.append(churned)
        if reading.rank is not None:
            ranks.append(reading.rank)
            rank_labels.append(churned)
    rises = health_rises(factor.curve)
    learned: dict[str, LearnedCurve] = {}
    curve = learn_curve(xs, x_labels, rises)
    if curve is not None:
        learned[key] = curve
    percentile = None
    if factor.percentile_curve is not None:
        ranked = health_rises(factor.percentile_curve)
        percentile = learn_curve(ranks, rank_labels, rises if ranked is None else ranked)
        if percentile is not None:
            learned[f"{key}.percentile"] = percentile
    if not learned:
        return None, learned
    new = Factor(
        weight=factor.weight,
        curve=curve.curve if curve is not None else factor.curve,
        percentile_curve=percentile.curve if percentile is not None else factor.percentile_curve,
    )
    return new, learned


def _dump_factor(factor: Factor, weight: float) -> dict[str, Any]:
    data: dict[str, Any] = {"weight": weight, "curve": factor.curve.model_dump(mode="json")}
    if factor.percentile_curve is not None:
        data["percentile_curve"] = factor.percentile_curve.model_dump(mode="json")
    return data


def _digest(data: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()[:8]


def learn_model(samples: Sequence[FitSample], base: HealthModel, targets: Targets) -> Learned:
    """The model learned from `samples` (compared, with enough data) on top of `base`."""
    labels = [s.churned is True for s in samples]
    churned = sum(labels)
    if churned < 5 or len(labels) - churned < 5:
        raise FitError(
            f"the training outcomes hold {churned} churned and {len(labels) - churned} retained "
            "samples: at least 5 of each are needed (a longer history or a smaller --holdout)"
        )
    features = learn_features(
        [s.features_baseline for s in samples],
        [s.features_recent for s in samples],
        labels,
        targets.feature_c,
    )
    engagement = base.components.engagement.model_dump(mode="json")
    engagement.update(key_features=features.key, risk_features=features.risk)
    components = base.components.model_dump(mode="json")
    components["engagement"] = engagement
    named = _with(base, {"components": components, "stages": {}})

    views = [readings_under(sample, named) for sample in samples]
    curves: dict[str, LearnedCurve] = {}
    factors: dict[str, tuple[str, str, Factor]] = {}
    for component, table in named.components.factor_tables().items():
        for name, factor in table.items():
            key = f"{component.value}.{name}"
            learned_factor, learned = _learn_factor(key, factor, views, labels)
            curves.update(learned)
            if learned_factor is not None:
                factors[key] = (component.value, name, learned_factor)

    values = [
        {
            key: factor_value(factor, reading)
            for key, (_, _, factor) in factors.items()
            if (reading := view.get(key)) is not None
        }
        for view in views
    ]
    coefficients = learn_weights(values, labels, targets.c) if factors else {}
    total = sum(coefficients.values())
    if total <= 0:
        raise FitError("no factor's value goes with churn in the training outcomes")

    for component_name, component in components.items():
        own = {
            name: coefficients.get(f"{component_name}.{name}", 0.0) for name in component["factors"]
        }
        weight = sum(own.values())
        component["weight"] = round(100 * weight / total, 1)
        for name in component["factors"]:
            key = f"{component_name}.{name}"
            share = round(100 * own[name] / weight, 1) if weight > 0 else 0.0
            if key in factors:
                component["factors"][name] = _dump_factor(factors[key][2], share)
            else:
                component["factors"][name]["weight"] = 0.0
    if sum(c["weight"] for c in components.values()) <= 0:
        raise FitError("the learned weights round to 0")
    unbanded = _with(named, {"components": components})
    scored = [(rescore(s, unbanded)[0], label) for s, label in zip(samples, labels, strict=True)]
    low, high = choose_edges(scored, targets.precision, targets.at_risk_precision)
    data = unbanded.model_dump(mode="json")
    data["bands"] = {"healthy": high.edge, "at_risk": low.edge}
    last = max(s.outcome_at for s in samples)
    data["description"] = (
        f"Learned by `healthscore fit` from {len(labels)} samples of renewal outcomes "
        f"({churned} churned) up to {last:%Y-%m-%d}, on top of model {base.version}."
    )
    data.pop("version")
    data["version"] = f"fit-{last:%Y%m%d}-{_digest(data)}"
    return Learned(
        model=HealthModel.model_validate(data),
        curves=curves,
        coefficients={k: round(v, 4) for k, v in coefficients.items()},
        features=features,
        edges=(low, high),
        samples=len(labels),
        churned=churned,
        first_outcome=f"{min(s.outcome_at for s in samples):%Y-%m-%d}",
        last_outcome=f"{last:%Y-%m-%d}",
    )
