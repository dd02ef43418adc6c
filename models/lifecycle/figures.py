"""Churn and resurrection figures of many accounts: all time, and per quarter of the churn.

Counted in churn episodes (an account that churned twice counts twice). A
quarter holds the churns that happened in it, and what became of them since:
a churn on 30 March that came back on 2 April is a Q1 churn resurrected.

- resurrection_rate = resurrections / churns (null without churns);
- arr_won_back sums the ARR of the contracts that brought accounts back
  (a resurrection by activity alone adds none);
- rechurned counts resurrections followed by another churn within the
  model's `lifecycle.rechurn_within_days`.

The HTTP API computes them here from a worker's own healths; the PostgreSQL
views `resurrection_by_quarter` and `resurrection_totals` compute the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel, Field

from models.lifecycle.status import ChurnEpisode


class ChurnFigures(BaseModel):
    churns: int = Field(ge=0, description="Churn episodes.")
    arr_lost: float = Field(ge=0, description="ARR the churns lost.")
    resurrections: int = Field(ge=0, description="Of those churns, how many came back since.")
    resurrection_rate: float | None = Field(
        ge=0, le=1, description="resurrections / churns; null without churns."
    )
    arr_won_back: float = Field(
        ge=0, description="ARR of the contracts whose renewal brought an account back."
    )
    rechurned: int = Field(
        ge=0,
        description="Resurrections followed by another churn within `rechurn_within_days` days.",
    )


class QuarterFigures(ChurnFigures):
    quarter: str = Field(description="The quarter of the churns, e.g. `2025-Q1` (UTC days).")


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


class _Sums:
    __slots__ = ("arr_lost", "arr_won_back", "churns", "rechurned", "resurrections")

    def __init__(self) -> None:
        self.churns = self.resurrections = self.rechurned = 0
        self.arr_lost = self.arr_won_back = 0.0

    def add(self, episode: ChurnEpisode) -> None:
        self.churns += 1
        self.arr_lost += episode.arr_lost
        if episode.resurrected_on is not None:
            self.resurrections += 1
            self.arr_won_back += episode.arr_won_back or 0.0
        self.rechurned += episode.rechurned

    def fields(self) -> dict[str, object]:
        return {
            "churns": self.churns,
            "arr_lost": self.arr_lost,
            "resurrections": self.resurrections,
            "resurrection_rate": self.resurrections / self.churns if self.churns else None,
            "arr_won_back": self.arr_won_back,
            "rechurned": self.rechurned,
        }


def churn_figures(episodes: Iterable[ChurnEpisode]) -> tuple[ChurnFigures, list[QuarterFigures]]:
    """All-time figures, and one row per quarter that had churns, oldest first."""
    total = _Sums()
    quarters: dict[str, _Sums] = {}
    for episode in episodes:
        total.add(episode)
        quarter = quarter_of(episode.churned_on)
        sums = quarters.get(quarter)
        if sums is None:
            sums = quarters[quarter] = _Sums()
        sums.add(episode)
    return ChurnFigures.model_validate(total.fields()), [
        QuarterFigures.model_validate({"quarter": quarter, **quarters[quarter].fields()})
        for quarter in sorted(quarters)
    ]
