"""Out of time: a fold learns only from outcomes known before any sample it predicts."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

from models.backtest.split import Fold, walk_forward

START = datetime(2025, 1, 1, tzinfo=UTC)


def _samples(n: int, seed: int) -> tuple[list[datetime], list[datetime], list[bool]]:
    rng = random.Random(seed)
    outcomes = [START + timedelta(days=rng.uniform(90, 500)) for _ in range(n)]
    snapshots = [o - timedelta(days=rng.choice((30, 60, 90))) for o in outcomes]
    return snapshots, outcomes, [rng.random() < 0.3 for _ in range(n)]


def _leaks(fold: Fold, snapshots: list[datetime], outcomes: list[datetime]) -> list[str]:
    """Every way `fold` would let a prediction see its own future."""
    first_test = min(snapshots[i] for i in fold.test)
    late = [i for i in fold.train if snapshots[i] > first_test]
    unknown = [i for i in fold.train if outcomes[i] >= first_test]
    shared = sorted(set(fold.train) & set(fold.test))
    return (
        [f"train {i}: snapshot after a test one" for i in late]
        + [f"train {i}: outcome not known yet" for i in unknown]
        + [f"test {i} is also trained on" for i in shared]
    )


def test_no_fold_trains_on_anything_at_or_after_its_first_test_snapshot() -> None:
    for seed in range(5):
        snapshots, outcomes, churned = _samples(400, seed)
        folds = walk_forward(snapshots, outcomes, churned, every_days=30)
        assert len(folds) >= 5
        for fold in folds:
            assert _leaks(fold, snapshots, outcomes) == []
            end = fold.starts_at + timedelta(days=30)
            assert all(fold.starts_at <= snapshots[i] < end for i in fold.test)
        tested = [i for fold in folds for i in fold.test]
        assert len(tested) == len(set(tested))
        # Training grows with time: a later fold knows every outcome an earlier one knew.
        for earlier, later in itertools.pairwise(folds):
            assert set(earlier.train) <= set(later.train)


def test_the_leak_check_catches_a_split_by_snapshot_time_alone() -> None:
    # "Train on earlier snapshots" is not enough: an earlier snapshot's outcome can
    # lie after a later snapshot. Such a fold must be flagged, or the check is void.
    snapshots, outcomes, _ = _samples(400, 1)
    cut = START + timedelta(days=250)
    naive = Fold(
        starts_at=cut,
        train=tuple(i for i, s in enumerate(snapshots) if s < cut),
        test=tuple(i for i, s in enumerate(snapshots) if cut <= s < cut + timedelta(days=30)),
    )
    assert any("not known yet" in p for p in _leaks(naive, snapshots, outcomes))


def test_folds_without_enough_to_learn_from_predict_nothing() -> None:
    snapshots, outcomes, churned = _samples(400, 2)
    folds = walk_forward(snapshots, outcomes, churned, every_days=30, min_train=50, min_class=8)
    assert folds
    for fold in folds:
        positives = sum(churned[i] for i in fold.train)
        assert len(fold.train) >= 50 and 8 <= positives <= len(fold.train) - 8
    first_outcome = min(outcomes)
    assert all(fold.starts_at > first_outcome for fold in folds)
    assert walk_forward(snapshots, outcomes, [False] * 400) == []
    assert walk_forward([], [], []) == []
