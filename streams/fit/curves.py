"""A factor's curve, learned from the churn rate along its measure.

For one factor, the training samples give pairs (x, churned), x being what
the factor measured (or, for a ranked factor, its rank 0-1). An isotonic
regression (scikit-learn) gives the churn rate as a monotone function of x, in
the direction of the base model's curve (health rises with x if the base
curve rises: recency falls, CSAT rises…; "auto" when the base curve is not
monotone), so a learned curve never says something absurd such as "longer
silence is healthier".

The curve keeps a handful of breakpoints: x at fixed quantiles of the
training measures (a curve is flat beyond its ends, as scoring reads it), y =
the log-odds of that churn rate (clipped to `CLIP`…1 - `CLIP`), rescaled so
the riskiest breakpoint is 0 and the safest 100:

    y(x) = 100 * (L_max - L(x)) / (L_max - L_min),   L = log(p / (1 - p))

Log-odds, because the weights come from a logistic regression, which adds
log-odds: a factor's value then moves the churn odds evenly along its scale.

A factor whose churn rate moves less than `MIN_SPREAD` across its curve
carries nothing: it gets no curve (and weight 0, streams/fit/weights.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from models.model_parts import Curve
from streams.fit.learn import isotonic

QUANTILES = (0.02, 0.1, 0.25, 0.5, 0.75, 0.9, 0.98)
MIN_SPREAD = 0.02  # churn-rate difference across a curve below which it is flat
MIN_SAMPLES = 20  # fewer samples with the factor: not learned
CLIP = 0.02


@dataclass(frozen=True, slots=True)
class LearnedCurve:
    curve: Curve
    spread: float  # churn rate at the riskiest breakpoint - at the safest
    samples: int


def health_rises(curve: Curve) -> bool | None:
    """Whether health rises with x along the curve (None: flat or not monotone)."""
    ys = [y for _, y in curve.root]
    steps = [b - a for a, b in pairwise(ys)]
    if all(s >= 0 for s in steps) and ys[-1] > ys[0]:
        return True
    if all(s <= 0 for s in steps) and ys[-1] < ys[0]:
        return False
    return None


def _quantile(ordered: Sequence[float], q: float) -> float:
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _round(x: float) -> float:
    return float(f"{x:.4g}")


def learn_curve(
    xs: Sequence[float], churned: Sequence[bool], rises: bool | None
) -> LearnedCurve | None:
    """The factor's curve learned from (x, churned) pairs; None if it carries nothing."""
    if len(xs) < MIN_SAMPLES or len(set(xs)) < 2 or len(set(churned)) < 2:
        return None
    fitted = isotonic(xs, [float(c) for c in churned], "auto" if rises is None else not rises)
    ordered = sorted(xs)
    breakpoints = sorted({_round(_quantile(ordered, q)) for q in QUANTILES})
    if len(breakpoints) < 2:
        return None
    rates = [float(p) for p in fitted.predict(breakpoints)]
    spread = max(rates) - min(rates)
    if spread < MIN_SPREAD:
        return None
    odds = [_logit(p) for p in rates]
    riskiest, safest = max(odds), min(odds)
    points = [
        (x, round(100 * (riskiest - o) / (riskiest - safest), 1))
        for x, o in zip(breakpoints, odds, strict=True)
    ]
    return LearnedCurve(Curve(_plateaus_merged(points)), round(spread, 4), len(xs))


def _plateaus_merged(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Without the inner points of a flat stretch (the curve reads the same without them)."""
    kept = [points[0]]
    for index in range(1, len(points) - 1):
        if not points[index - 1][1] == points[index][1] == points[index + 1][1]:
            kept.append(points[index])
    kept.append(points[-1])
    return kept


def _logit(p: float) -> float:
    p = min(1 - CLIP, max(CLIP, p))
    return math.log(p / (1 - p))
