"""One horizon's figures: too little data apart, and a learned bar that never looks ahead."""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from streams.backtest.evaluate import evaluate, out_of_time
from streams.backtest.logistic import INSTALL_HINT, Fitted, Inputs
from streams.backtest.samples import BacktestOptions, Sample

START = datetime(2025, 1, 1, tzinfo=UTC)
OPTIONS = BacktestOptions(resamples=200)


def _sample(i: int, churned: bool, score: float, outcome: datetime, **fields: object) -> Sample:
    values: dict[str, object] = {
        "account_id": f"a{i}",
        "contract_id": f"a{i}-c1",
        "status": "churned" if churned else "renewed",
        "outcome_at": outcome,
        "snapshot_at": outcome - timedelta(days=60),
        "days": 60,
        "churned": churned,
        "score": score,
        "band": "healthy" if score >= 70 else "at_risk" if score >= 40 else "critical",
        "confidence": 1.0,
        "enough_data": True,
        "components": {"engagement": score},
        "factors": {"engagement.recency": score},
        "measures": {"engagement.recency": (100 - score) / 3},
        "days_since_login": 100 - score,
        "ever_logged_in": True,
        "nps": None,
        "role_nps": {},
        "behaviour": {"sample": float(i)},
        "features_used": [],
    }
    values.update(fields)
    return Sample(**values)  # type: ignore[arg-type]


def _population(n: int, seed: int) -> list[Sample]:
    rng = random.Random(seed)
    samples = []
    for i in range(n):
        churned = rng.random() < 0.3
        score = max(0.0, min(100.0, rng.gauss(45 if churned else 70, 15)))
        outcome = START + timedelta(days=rng.uniform(100, 500))
        samples.append(_sample(i, churned, round(score, 1), outcome))
    return samples


def test_accounts_with_too_little_data_are_counted_apart_not_ranked() -> None:
    ranked = _population(120, 1)
    thin = [
        _sample(
            1000 + i, i < 4, 50.0, START + timedelta(days=300), confidence=0.15, enough_data=False
        )
        for i in range(10)
    ]
    horizon = evaluate(60, ranked + thin, OPTIONS)
    assert horizon.compared == 130
    assert horizon.scored == 120
    assert (horizon.too_little.n, horizon.too_little.churned) == (10, 4)
    assert horizon.too_little.mean_score == 50.0
    assert horizon.predictors["health_score"].n == 120
    assert horizon.factors["engagement.recency"].n == 120
    assert sum(b.n for b in horizon.bands) == sum(b.n for b in horizon.deciles) == 120
    alone = evaluate(60, ranked, OPTIONS)
    assert horizon.predictors["health_score"].ranking == alone.predictors["health_score"].ranking


def test_the_learned_baseline_only_ever_trains_on_outcomes_known_before_its_test_snapshots() -> (
    None
):
    samples = _population(400, 2)
    calls = []

    def recording_fit(
        train: Sequence[Inputs], churned: Sequence[bool], test: Sequence[Inputs]
    ) -> Fitted:
        trained = [samples[int(row.counts["sample"])] for row in train]
        tested = [samples[int(row.counts["sample"])] for row in test]
        calls.append((trained, tested))
        return Fitted(risks=[100 - s.score for s in tested], coefficients={})

    result = out_of_time(samples, OPTIONS, fit=recording_fit)
    assert result.skipped is None and result.folds == len(calls) >= 5
    for trained, tested in calls:
        first_test = min(s.snapshot_at for s in tested)
        assert all(s.outcome_at < first_test for s in trained)
        assert all(s.snapshot_at < first_test for s in trained)
    predicted = {s.account_id for _, tested in calls for s in tested}
    assert result.predictors["logistic_regression"].n == len(predicted)
    # Same risks, same samples: the same ranking as the health score's.
    same = result.predictors["health_score"].ranking
    assert result.predictors["logistic_regression"].ranking == same


def test_the_logistic_regression_finds_a_behavioural_signal() -> None:
    rng = random.Random(3)
    samples = [
        _sample(
            i,
            churned,
            60.0,
            START + timedelta(days=rng.uniform(100, 500)),
            behaviour={"user_days_30d": rng.gauss(5 if churned else 40, 8)},
        )
        for i, churned in enumerate(rng.random() < 0.3 for _ in range(400))
    ]
    result = out_of_time(samples, OPTIONS)
    learned = result.predictors["logistic_regression"]
    assert learned.ranking.auc is not None and learned.ranking.auc > 0.95
    assert result.coefficients["user_days_30d"] < 0  # fewer active user-days, more churn
    assert result.predictors["health_score"].ranking.auc == 0.5  # every score is 60
    assert result.difference is not None and result.difference[1] < 0


def test_without_scikit_learn_the_bar_is_skipped_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "sklearn.linear_model", None)
    result = out_of_time(_population(400, 4), OPTIONS)
    assert result.skipped is not None and INSTALL_HINT in result.skipped
    assert result.predictors == {}
    horizon = evaluate(60, _population(200, 4), OPTIONS)
    assert horizon.predictors["health_score"].ranking.auc is not None
