"""Which features mean value (`key_features`) and which mean risk (`risk_features`).

Each training sample gives, per feature, two 0/1 columns: used in the
baseline window (`key:` — does the account keep using it?) and used in the
recent window (`risk:` — did it just do it?), the windows the engagement
component's key_features and risk_actions factors look at. Features almost
nobody or almost everybody uses (fewer than `MIN_SHARE` of the samples on
either side) are left out. The columns, standardised, go into one
L1-regularised logistic regression (scikit-learn, liblinear) of churn, which
keeps few features (of two that say the same, often one). Per feature, the
sum of its two coefficients says which way its use goes:

- with renewal (a sum below -`MIN_COEFFICIENT`): a key feature;
- with churn (a sum above `MIN_COEFFICIENT`): a risk feature;

each weighted by the sum's size, the largest of each kind scaled to
`TOP_WEIGHT`. Smaller sums are noise. (A risk feature is then scored on its
recent use, a key feature on its use over the baseline, as the engagement
component's factors measure them; their curves and weights are learned next
from what they measure.)
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from streams.fit.learn import logistic

MIN_SHARE = 0.03
MIN_COEFFICIENT = 0.05
TOP_WEIGHT = 3.0


@dataclass(frozen=True, slots=True)
class LearnedFeatures:
    key: dict[str, float]  # feature -> weight (use goes with renewal)
    risk: dict[str, float]  # feature -> weight (recent use goes with churn)
    coefficients: dict[str, float]  # every column's standardised coefficient (+ = churn)


def _columns(sets: Sequence[frozenset[str]], prefix: str) -> list[str]:
    counts: dict[str, int] = {}
    for used in sets:
        for feature in used:
            counts[feature] = counts.get(feature, 0) + 1
    low, high = MIN_SHARE * len(sets), (1 - MIN_SHARE) * len(sets)
    return [f"{prefix}{f}" for f, n in sorted(counts.items()) if max(low, 2) <= n <= high]


def _weights(found: dict[str, float]) -> dict[str, float]:
    if not found:
        return {}
    top = max(found.values())
    scaled = {f: round(TOP_WEIGHT * w / top, 1) for f, w in found.items()}
    return {f: w for f, w in sorted(scaled.items()) if w > 0}


def _row(names: Sequence[str], baseline: frozenset[str], recent: frozenset[str]) -> list[float]:
    return [
        float(name[4:] in baseline) if name.startswith("key:") else float(name[5:] in recent)
        for name in names
    ]


def learn_features(
    baseline: Sequence[frozenset[str]],
    recent: Sequence[frozenset[str]],
    churned: Sequence[bool],
    c: float = 0.05,
) -> LearnedFeatures:
    """Key and risk features from what each sample used (empty when nothing stands out)."""
    names = _columns(baseline, "key:") + _columns(recent, "risk:")
    if not names or len(set(churned)) < 2:
        return LearnedFeatures({}, {}, {})
    rows = [_row(names, used, now) for used, now in zip(baseline, recent, strict=True)]
    means = [statistics.fmean(col) for col in zip(*rows, strict=True)]
    spreads = [statistics.pstdev(col) or 1.0 for col in zip(*rows, strict=True)]
    scaled = [[(v - m) / s for v, m, s in zip(row, means, spreads, strict=True)] for row in rows]
    fitted = logistic(scaled, churned, c, l1=True)
    coefficients = {n: round(float(w), 4) for n, w in zip(names, fitted.coef_[0], strict=True)}
    sums: dict[str, float] = {}
    for name, weight in coefficients.items():
        feature = name.split(":", 1)[1]
        sums[feature] = sums.get(feature, 0.0) + weight
    key = {f: -w for f, w in sums.items() if w <= -MIN_COEFFICIENT}
    risk = {f: w for f, w in sums.items() if w >= MIN_COEFFICIENT}
    return LearnedFeatures(_weights(key), _weights(risk), coefficients)
