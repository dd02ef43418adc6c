"""Out-of-time folds: learn only from outcomes already known when predicting (pure).

A learned baseline is tested the way it would have been used: refitted every
`every_days` days (a fold), each fold predicts the samples whose snapshot
falls inside it, from a model fitted on the samples whose *outcome* happened
before the fold began. So every training sample's snapshot and outcome both
precede every test snapshot of its fold: nothing the model learns from lay in
the future of what it predicts. Folds without enough to learn from (fewer
than `min_train` samples, or fewer than `min_class` churners or retained
accounts) predict nothing; their samples stay unpredicted ("warm-up").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Fold:
    starts_at: datetime  # the refit moment
    train: tuple[int, ...]  # sample indices with an outcome before starts_at
    test: tuple[int, ...]  # sample indices with a snapshot in [starts_at, starts_at + every)


def walk_forward(
    snapshots: Sequence[datetime],
    outcomes: Sequence[datetime],
    churned: Sequence[bool],
    every_days: int = 30,
    min_train: int = 30,
    min_class: int = 5,
) -> list[Fold]:
    """The folds that can be fitted, in time order; sample i = (snapshot, outcome, churned)[i]."""
    if not snapshots:
        return []
    every = timedelta(days=every_days)
    by_outcome = sorted(range(len(outcomes)), key=lambda i: outcomes[i])
    by_snapshot = sorted(range(len(snapshots)), key=lambda i: snapshots[i])
    folds: list[Fold] = []
    start, last = snapshots[by_snapshot[0]], snapshots[by_snapshot[-1]]
    known = tested = 0
    while start <= last:
        end = start + every
        while known < len(by_outcome) and outcomes[by_outcome[known]] < start:
            known += 1
        first_test = tested
        while tested < len(by_snapshot) and snapshots[by_snapshot[tested]] < end:
            tested += 1
        train = tuple(sorted(by_outcome[:known]))
        test = tuple(sorted(by_snapshot[first_test:tested]))
        churners = sum(1 for i in train if churned[i])
        if test and len(train) >= min_train and min(churners, len(train) - churners) >= min_class:
            folds.append(Fold(start, train, test))
        start = end
    return folds
