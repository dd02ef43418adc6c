"""Bootstrap intervals of the AUC: seeded, around the point estimate, narrower with more data."""

from __future__ import annotations

import random

import numpy as np
import pytest

from models.backtest.bootstrap import PairedBootstrap, auc_interval, interval
from models.backtest.metrics import auc


def _samples(n: int, seed: int) -> list[tuple[float, bool]]:
    """Churners' risks drawn one standard deviation higher: a true AUC of about 0.76."""
    rng = random.Random(seed)
    churned = [rng.random() < 0.3 for _ in range(n)]
    return [(round(rng.gauss(1.0 if c else 0.0, 1.0), 1), c) for c in churned]


def test_the_same_seed_gives_the_same_interval_and_another_seed_another() -> None:
    samples = _samples(300, 1)
    assert auc_interval(samples, seed=4) == auc_interval(samples, seed=4)
    assert auc_interval(samples, seed=4) != auc_interval(samples, seed=5)


def test_the_interval_covers_the_point_estimate() -> None:
    for seed in range(5):
        samples = _samples(200, seed)
        point = auc(samples)
        found = auc_interval(samples, resamples=500, seed=seed)
        assert point is not None and found is not None
        low, high = found
        assert low < point < high
        assert low >= 0.0 and high <= 1.0


def test_the_interval_narrows_with_more_samples() -> None:
    widths = []
    for n in (100, 400, 1600):
        found = auc_interval(_samples(n, 7), resamples=500, seed=0)
        assert found is not None
        widths.append(found[1] - found[0])
    assert widths[0] > 1.5 * widths[1] > 2.25 * widths[2]


def test_a_resample_drawing_each_sample_once_is_the_exact_auc_ties_and_all() -> None:
    samples = _samples(250, 3)  # rounded risks: many ties across classes
    boot = PairedBootstrap([c for _, c in samples], resamples=2, seed=0)
    boot.counts[:] = 1
    assert boot.aucs([r for r, _ in samples]) == pytest.approx([auc(samples)] * 2)


def test_a_missing_risk_leaves_its_sample_out() -> None:
    samples = _samples(120, 2)
    risks: list[float | None] = [r for r, _ in samples]
    risks[:20] = [None] * 20
    boot = PairedBootstrap([c for _, c in samples], resamples=1, seed=0)
    boot.counts[:] = 1
    assert boot.aucs(risks)[0] == pytest.approx(auc(samples[20:]))


def test_without_both_classes_there_is_no_interval() -> None:
    assert auc_interval([(1.0, True), (2.0, True)]) is None
    assert auc_interval([]) is None
    assert interval(np.array([np.nan, np.nan, 0.5])) is None
