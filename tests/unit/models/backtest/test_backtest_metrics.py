"""AUC, precision@k and lift: hand-computed cases and properties."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.backtest.metrics import (
    auc,
    base_rate,
    default_k,
    lift,
    precision_at_k,
    ranking,
)

FAST = settings(max_examples=200, deadline=None)

# Risks on a grid of eighths: exact in binary floating point, so transforms stay exact too.
risks = st.integers(-1000, 1000).map(lambda i: i / 8) | st.integers(0, 6).map(float)
# Lists holding at least one churner and one retained account, with frequent ties.
mixed = st.lists(st.tuples(risks, st.booleans()), min_size=2).filter(
    lambda s: any(c for _, c in s) and not all(c for _, c in s)
)


def test_auc_of_a_hand_computed_case() -> None:
    # Churners at risk 3 and 1, retained at 2 and 0: pairs (3>2, 3>0, 1<2, 1>0) -> 3/4.
    assert auc([(3, True), (1, True), (2, False), (0, False)]) == pytest.approx(0.75)


def test_a_tie_between_classes_counts_one_half() -> None:
    # Pairs: (5 vs 5) = 0.5, (5 vs 1) = 1 -> 1.5 / 2.
    assert auc([(5, True), (5, False), (1, False)]) == pytest.approx(0.75)
    assert auc([(2, True), (2, False)]) == pytest.approx(0.5)


def test_auc_is_undefined_without_both_classes() -> None:
    assert auc([]) is None
    assert auc([(1, True), (2, True)]) is None
    assert auc([(1, False)]) is None


def test_precision_at_k_counts_churners_among_the_riskiest() -> None:
    samples = [(9, True), (8, False), (7, True), (1, False), (0, True)]
    assert precision_at_k(samples, 1) == 1.0
    assert precision_at_k(samples, 2) == 0.5
    assert precision_at_k(samples, 3) == pytest.approx(2 / 3)
    assert precision_at_k(samples, 99) == pytest.approx(3 / 5)
    assert precision_at_k(samples, 0) is None
    assert precision_at_k([], 3) is None


def test_a_tied_group_at_the_cut_off_is_shared_out() -> None:
    # Top: 9 (churner); then 5, 5, 5, 5 with one churner among them; k = 3 takes 2 of the 4.
    samples = [(9, True), (5, False), (5, True), (5, False), (5, False), (1, True)]
    assert precision_at_k(samples, 3) == pytest.approx((1 + 2 * 1 / 4) / 3)


def test_lift_is_precision_over_the_base_rate() -> None:
    samples = [(9, True), (8, False), (7, False), (6, False)]
    assert base_rate(samples) == 0.25
    assert lift(samples, 1) == pytest.approx(4.0)
    assert lift([(1, False), (2, False)], 1) is None
    assert base_rate([]) is None


def test_default_k_is_the_number_of_churners_or_ten() -> None:
    assert default_k([(1, True), (2, True), (3, False)]) == 2
    assert default_k([(1, False)]) == 10


def test_ranking_bundles_the_figures_and_caps_k() -> None:
    result = ranking([(3, True), (2, False), (1, False)], k=10)
    assert result.auc == 1.0
    assert result.k == 3
    assert result.precision_at_k == pytest.approx(1 / 3)
    assert result.lift == pytest.approx(1.0)


@FAST
@given(mixed)
def test_auc_lies_between_zero_and_one(samples: list[tuple[float, bool]]) -> None:
    value = auc(samples)
    assert value is not None
    assert 0.0 <= value <= 1.0


@FAST
@given(st.lists(st.booleans(), min_size=2).filter(lambda b: any(b) and not all(b)))
def test_a_perfect_ranking_scores_one_and_its_reverse_zero(labels: list[bool]) -> None:
    churners = sorted(labels, reverse=True)  # churners first
    perfect = [(float(len(churners) - i), c) for i, c in enumerate(churners)]
    assert auc(perfect) == 1.0
    assert auc([(-risk, c) for risk, c in perfect]) == 0.0
    assert precision_at_k(perfect, sum(labels)) == 1.0


@FAST
@given(mixed)
def test_auc_is_invariant_under_monotone_transforms(samples: list[tuple[float, bool]]) -> None:
    for transform in (lambda x: 3 * x + 7, lambda x: x**3 + x, lambda x: math.atan(x / 200)):
        transformed = [(transform(risk), churned) for risk, churned in samples]
        assert auc(transformed) == pytest.approx(auc(samples))


@FAST
@given(mixed)
def test_negating_the_risk_mirrors_the_auc(samples: list[tuple[float, bool]]) -> None:
    value = auc(samples)
    mirrored = auc([(-risk, churned) for risk, churned in samples])
    assert value is not None and mirrored is not None
    assert value + mirrored == pytest.approx(1.0)


@FAST
@given(mixed)
def test_auc_matches_the_pairwise_definition(samples: list[tuple[float, bool]]) -> None:
    churners = [r for r, c in samples if c]
    retained = [r for r, c in samples if not c]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in churners for n in retained)
    assert auc(samples) == pytest.approx(wins / (len(churners) * len(retained)))


@FAST
@given(mixed, st.integers(1, 50), st.randoms())
def test_precision_at_k_does_not_depend_on_input_order(
    samples: list[tuple[float, bool]], k: int, rnd: random.Random
) -> None:
    shuffled = list(samples)
    rnd.shuffle(shuffled)
    first, second = precision_at_k(samples, k), precision_at_k(shuffled, k)
    assert first is not None and second is not None
    assert math.isclose(first, second)
    assert 0.0 <= first <= 1.0
