"""Does a low score mean a high churn rate? Observed churn per band and per score decile (pure).

The health score is a ranking, not a probability, so "calibration" here is
what a CS leader reads off a table: of the accounts in each band (or each
tenth of the accounts, lowest scores first), how many churned.

Deciles split the samples, sorted by score, into ten groups of (nearly) equal
size. Tied scores always land in the same decile (the decile of the tie
group's middle position), so the groups never depend on input order, and a
decile can be empty when a large tie group fills its neighbour.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby


@dataclass(frozen=True, slots=True)
class Bin:
    """One group of samples: its label, score range, size and observed churn."""

    label: str
    n: int
    churned: int
    low: float | None  # lowest score in the group (None when empty)
    high: float | None

    @property
    def rate(self) -> float | None:
        return self.churned / self.n if self.n else None


def _bin(label: str, members: Sequence[tuple[float, bool]]) -> Bin:
    scores = [score for score, _ in members]
    return Bin(
        label=label,
        n=len(members),
        churned=sum(1 for _, churned in members if churned),
        low=min(scores) if scores else None,
        high=max(scores) if scores else None,
    )


def by_band(samples: Iterable[tuple[str, float, bool]], bands: Sequence[str]) -> list[Bin]:
    """Observed churn per band, in the order of `bands`, over (band, score, churned) samples."""
    members: dict[str, list[tuple[float, bool]]] = {band: [] for band in bands}
    for band, score, churned in samples:
        members.setdefault(band, []).append((score, churned))
    return [_bin(band, group) for band, group in members.items()]


def by_decile(samples: Iterable[tuple[float, bool]], count: int = 10) -> list[Bin]:
    """Observed churn per `count`-quantile of the score, lowest scores first."""
    ordered = sorted(samples, key=lambda s: s[0])
    n = len(ordered)
    groups: list[list[tuple[float, bool]]] = [[] for _ in range(count)]
    position = 0
    for _, tied in groupby(ordered, key=lambda s: s[0]):
        members = list(tied)
        middle = position + len(members) / 2
        groups[min(count - 1, int(count * middle / n))].extend(members)
        position += len(members)
    return [_bin(f"{i + 1}/{count}", group) for i, group in enumerate(groups)]
