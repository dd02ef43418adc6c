"""The out-of-time cut: learn from the outcomes before it, test on the outcomes after it (pure).

`--holdout 0.3` puts the cut at the outcome that leaves the latest 30 % of
the compared samples (outcomes times horizons) at or after it; `--holdout 2025-10-01` puts it at
that moment (UTC midnight); `--holdout 0` learns from everything and tests
nothing.

A sample trains the model if its renewal *outcome* happened before the cut,
and tests it if its outcome happened at or after the cut: every renewal the
model learns from precedes every renewal it is tested on, and nothing after
the cut (events or outcomes) can change the model. A test sample is still a
snapshot N days before its outcome, seeing only the events before that moment
(streams/fit/sampling.py). Its snapshot may precede the cut by up to N days,
so a few training outcomes can fall between a test snapshot and the cut: the
backtest's walk-forward regression (models/backtest/split.py) is stricter, and
pays for it with fewer outcomes to test on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Protocol, TypeVar


class Dated(Protocol):
    @property
    def outcome_at(self) -> datetime: ...

    @property
    def snapshot_at(self) -> datetime: ...


Holdout = float | date
S = TypeVar("S", bound=Dated)


def parse_holdout(text: str) -> Holdout:
    """A share of the latest outcomes (0 <= share < 1) or a date (YYYY-MM-DD)."""
    try:
        share = float(text)
    except ValueError:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"not a share (0-0.9) or a date (YYYY-MM-DD): {text!r}") from None
    if not 0 <= share < 1:
        raise ValueError(f"the held-out share must lie in [0, 1): {share}")
    return share


def cut_of(samples: Sequence[Dated], holdout: Holdout) -> datetime | None:
    """The cut moment (None: hold nothing out)."""
    if isinstance(holdout, date):
        return datetime(holdout.year, holdout.month, holdout.day, tzinfo=UTC)
    if holdout <= 0 or not samples:
        return None
    moments = sorted(s.outcome_at for s in samples)
    first_held = min(len(moments) - 1, math.floor(len(moments) * (1 - holdout)))
    return moments[first_held]


def train_test(samples: Sequence[S], cut: datetime | None) -> tuple[list[S], list[S]]:
    """(training samples, test samples) for the cut."""
    if cut is None:
        return list(samples), []
    train = [s for s in samples if s.outcome_at < cut]
    test = [s for s in samples if s.outcome_at >= cut]
    return train, test
