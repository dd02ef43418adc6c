"""Observed churn per band and per score decile: known rates come out."""

from __future__ import annotations

import random

from models.backtest.calibration import by_band, by_decile


def test_each_decile_reports_the_churn_rate_built_into_it() -> None:
    # Scores 0..99; in decile d (scores 10d..10d+9) the first 10 - d accounts churned.
    samples = [(float(score), score % 10 < 10 - score // 10) for score in range(100)]
    random.Random(1).shuffle(samples)
    deciles = by_decile(samples)
    assert [b.n for b in deciles] == [10] * 10
    assert [b.rate for b in deciles] == [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]
    assert [(b.low, b.high) for b in deciles][:2] == [(0.0, 9.0), (10.0, 19.0)]
    assert deciles[0].label == "1/10"


def test_tied_scores_share_a_decile_whatever_the_input_order() -> None:
    samples = [(50.0, i % 2 == 0) for i in range(30)] + [(i + 0.5, False) for i in range(70)]
    first = by_decile(samples)
    again = by_decile(list(reversed(samples)))
    assert first == again
    holding = [b for b in first if b.low == 50.0]
    assert len(holding) == 1 and holding[0].n == 30 and holding[0].rate == 0.5
    assert sum(b.n for b in first) == 100


def test_bands_report_their_own_churn_rate_in_the_order_asked() -> None:
    samples = (
        [("critical", 20.0, True)] * 3
        + [("critical", 30.0, False)]
        + [("at_risk", 55.0, True)] * 2
        + [("at_risk", 60.0, False)] * 6
        + [("healthy", 90.0, False)] * 9
        + [("healthy", 80.0, True)]
    )
    bands = by_band(samples, ("critical", "at_risk", "healthy"))
    assert [(b.label, b.n, b.rate) for b in bands] == [
        ("critical", 4, 0.75),
        ("at_risk", 8, 0.25),
        ("healthy", 10, 0.1),
    ]
    assert (bands[2].low, bands[2].high) == (80.0, 90.0)


def test_an_empty_band_has_no_rate() -> None:
    bands = by_band([("healthy", 80.0, False)], ("critical", "at_risk", "healthy"))
    assert bands[0].n == 0 and bands[0].rate is None and bands[0].low is None
