"""The fitter's parts learn what a synthetic history hides: weights, curves, features, bands."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from models.model_config import DriverSettings, load_model
from models.model_parts import Curve
from models.scoring import score
from streams.fit.bands import choose_edges
from streams.fit.curves import health_rises, learn_curve
from streams.fit.features import learn_features
from streams.fit.model import Targets, learn_model
from streams.fit.rescore import rescore
from streams.fit.sampling import FitSample, Reading
from streams.fit.split import cut_of, parse_holdout, train_test
from tests.unit.models.test_model_factories import T0 as NOW
from tests.unit.models.test_model_factories import ago, build, login, ticket

BASE = load_model()
T0 = datetime(2025, 6, 1, tzinfo=UTC)


def _sample(
    i: int,
    churned: bool,
    readings: dict[str, Reading],
    baseline: frozenset[str] = frozenset(),
    recent: frozenset[str] = frozenset(),
) -> FitSample:
    outcome = T0 + timedelta(days=i % 200)
    return FitSample(
        account_id=f"a{i}",
        contract_id=f"c{i}",
        outcome_at=outcome,
        snapshot_at=outcome - timedelta(days=30),
        days=30,
        churned=churned,
        enough_data=True,
        base_score=50.0,
        readings=readings,
        features_baseline=baseline,
        features_recent=recent,
        days_since_login=1.0,
        behaviour={},
    )


def _reading(measure: float) -> Reading:
    return Reading(measure, None, 50.0)


def _synthetic(n: int = 1500, seed: int = 3) -> list[FitSample]:
    """Churn log-odds = 3 - 6 · stickiness / 0.5 + 3 · (0.5 - CSAT): over their ranges
    stickiness counts twice as much as CSAT; breadth not at all."""
    rng = random.Random(seed)
    samples = []
    for i in range(n):
        stickiness, csat, breadth = rng.random() * 0.5, rng.random(), rng.randint(0, 6)
        logit = 1.5 - 6.0 * (stickiness / 0.5) + 3.0 * (0.5 - csat) + 1.5
        churned = rng.random() < 1 / (1 + math.exp(-logit))
        readings = {
            "engagement.stickiness": _reading(stickiness),
            "support.csat": _reading(csat),
            "engagement.breadth": _reading(breadth),
        }
        samples.append(_sample(i, churned, readings))
    return samples


def test_the_fitter_recovers_known_weights() -> None:
    learned = learn_model(_synthetic(), BASE, Targets())
    components = learned.model.components
    total = sum(components.weights().values())
    engagement = components.engagement.weight / total
    support = components.support.weight / total
    stickiness = engagement * components.engagement.factors.stickiness.weight / 100
    breadth = engagement * components.engagement.factors.breadth.weight / 100
    csat = support * components.support.factors.csat.weight / 100
    assert 1.3 < stickiness / csat < 3.5  # twice as much, within the noise of 1,500 samples
    assert breadth < 0.05  # carries nothing
    assert components.sentiment.weight == components.commercial.weight == 0
    assert health_rises(components.engagement.factors.stickiness.curve) is True
    assert health_rises(components.support.factors.csat.curve) is True


def test_drivers_still_add_up_to_score_minus_neutral_with_learned_weights() -> None:
    learned = learn_model(_synthetic(), BASE, Targets()).model
    everything = learned.model_copy(
        update={"drivers": DriverSettings(negative=10, positive=10, min_impact=0)}
    )
    events = [login("u1", ago(d), feature="reports") for d in (0, 3, 9, 20)]
    events += [login("u2", ago(1)), ticket("t1", "opened", ago(5), "high")]
    state = build(events, model=everything)
    health = score(state, NOW, everything)
    assert health.confidence > 0
    total = sum(driver.impact for driver in health.drivers)
    assert abs(total - (health.score - everything.neutral_score)) < 0.1 * len(health.drivers) + 0.1


def test_a_learned_curve_keeps_the_base_direction_and_stays_valid() -> None:
    rng = random.Random(1)
    days = [rng.uniform(0, 60) for _ in range(800)]
    churned = [rng.random() < min(0.9, 0.05 + d / 60) for d in days]
    learned = learn_curve(days, churned, rises=False)  # recency: health falls with idle days
    assert learned is not None
    xs = [x for x, _ in learned.curve.root]
    ys = [y for _, y in learned.curve.root]
    assert xs == sorted(set(xs))
    assert ys[0] == 100 and ys[-1] == 0
    assert all(b <= a for a, b in pairwise(ys))
    Curve(learned.curve.root)  # validates


def test_a_factor_that_carries_nothing_learns_no_curve() -> None:
    churned = [i % 3 == 0 for i in range(300)]
    assert learn_curve([1.0] * 300, churned, rises=True) is None  # one value
    assert learn_curve([float(i % 7) for i in range(300)], [False] * 300, rises=True) is None
    assert learn_curve([0.0, 1.0] * 5, churned[:10], rises=True) is None  # too few samples


def test_key_and_risk_features_are_learned_from_use() -> None:
    rng = random.Random(4)
    baseline, recent, labels = [], [], []
    for _ in range(800):
        churned = rng.random() < 0.3
        used = {"login"}
        if rng.random() < (0.2 if churned else 0.8):
            used.add("share")
        if rng.random() < 0.5:
            used.add("noise")
        now = {"login"}
        if churned and rng.random() < 0.6:
            now.add("export_all")
        baseline.append(frozenset(used | now))
        recent.append(frozenset(now))
        labels.append(churned)
    found = learn_features(baseline, recent, labels)
    assert "share" in found.key
    assert "export_all" in found.risk
    assert "noise" not in found.key and "noise" not in found.risk
    assert "login" not in found.key  # everybody uses it: no column


def test_band_edges_meet_the_precision_targets() -> None:
    scored = [(float(s), s < 30 or (s < 60 and s % 3 == 0)) for s in range(100)]
    low, high = choose_edges(scored, critical=0.5, at_risk=0.3)
    assert low.edge < high.edge
    assert low.precision is not None and low.precision >= 0.5
    assert high.precision is not None and high.precision >= 0.3
    assert low.edge >= 30  # everything below 30 churned


def test_rescore_follows_the_scoring_formula() -> None:
    model = learn_model(_synthetic(), BASE, Targets()).model
    sample = _synthetic(5, seed=9)[0]
    got, confidence = rescore(sample, model)
    e, s = model.components.engagement, model.components.support

    def value(factor_weight: float, curve: Curve, key: str) -> tuple[float, float]:
        measure = sample.readings[key].measure
        assert measure is not None
        return factor_weight, curve.at(measure)

    parts = [
        value(e.factors.stickiness.weight, e.factors.stickiness.curve, "engagement.stickiness"),
        value(e.factors.breadth.weight, e.factors.breadth.curve, "engagement.breadth"),
    ]
    engagement = sum(w * v for w, v in parts) / sum(w for w, _ in parts)
    support = value(1.0, s.factors.csat.curve, "support.csat")[1]
    expected = (e.weight * engagement + s.weight * support) / (e.weight + s.weight)
    assert abs(got - expected) <= 0.05 + 1e-9
    total = sum(model.components.weights().values())
    assert confidence == round((e.weight + s.weight) / total, 3)


def test_the_cut_splits_by_outcome_time() -> None:
    samples = _synthetic(300)
    cut = cut_of(samples, 0.3)
    assert cut is not None
    train, test = train_test(samples, cut)
    assert train and test
    assert max(s.outcome_at for s in train) < cut <= min(s.outcome_at for s in test)
    assert 0.2 < len(test) / len(samples) < 0.4
    assert cut_of(samples, 0.0) is None
    assert cut_of(samples, parse_holdout("2025-07-01")) == datetime(2025, 7, 1, tzinfo=UTC)
