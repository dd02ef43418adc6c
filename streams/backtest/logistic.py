"""The bar to beat: a logistic regression on simple behavioural counts, fitted out of time.

Each sample's inputs are `models.backtest.baselines.behaviour` (active
user-days, active users, distinct features, days since the last login,
tickets opened and open) plus one 0/1 column per feature named in the
training samples (used in the last 30 days or not), all as log(1 + x),
standardised, into scikit-learn's `LogisticRegression` (L2, C = 1). Folds come
from `models.backtest.split.walk_forward`: every fold is fitted only on
outcomes known before its first snapshot.

scikit-learn is the optional extra `fit` (`pip install 'healthscore[fit]'`),
imported only here and only when a baseline is fitted; the worker never
needs it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from models.exceptions import HealthscoreError

INSTALL_HINT = "pip install 'healthscore[fit]'"
MISSING_SKLEARN = f"the logistic-regression baseline needs scikit-learn: {INSTALL_HINT}"


class MissingExtraError(HealthscoreError):
    """An optional dependency is not installed; the message says how to install it."""


@dataclass(frozen=True, slots=True)
class Inputs:
    """One sample as the regression sees it."""

    counts: Mapping[str, float]
    features: Sequence[str]  # features used in the last 30 days


def _sklearn() -> Any:
    try:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
    except ImportError as exc:
        raise MissingExtraError(MISSING_SKLEARN) from exc
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))


def columns(train: Sequence[Inputs]) -> list[str]:
    """The regression's columns: every count, then `uses:<feature>` per feature seen in training."""
    counts = sorted({name for row in train for name in row.counts})
    features = sorted({feature for row in train for feature in row.features})
    return counts + [f"uses:{feature}" for feature in features]


def _row(inputs: Inputs, names: Sequence[str]) -> list[float]:
    used = set(inputs.features)
    values = []
    for name in names:
        if name.startswith("uses:"):
            values.append(1.0 if name[5:] in used else 0.0)
        else:
            values.append(math.log1p(max(0.0, inputs.counts.get(name, 0.0))))
    return values


@dataclass(frozen=True, slots=True)
class Fitted:
    risks: list[float]  # predicted churn probability of each test sample
    coefficients: dict[str, float]  # per standardised column: + raises the churn risk


def fit_predict(train: Sequence[Inputs], churned: Sequence[bool], test: Sequence[Inputs]) -> Fitted:
    """Fit on `train` (labels `churned`) and predict the churn probability of `test`."""
    pipeline = _sklearn()
    names = columns(train)
    pipeline.fit([_row(row, names) for row in train], [int(c) for c in churned])
    probabilities = pipeline.predict_proba([_row(row, names) for row in test])[:, 1]
    weights = pipeline[-1].coef_[0]
    return Fitted(
        risks=[float(p) for p in probabilities],
        coefficients={name: round(float(w), 4) for name, w in zip(names, weights, strict=True)},
    )
