"""How well a risk ranking separates churned from retained accounts (pure, no I/O).

Every predictor is turned into a *risk*: higher = more likely to churn (the
health score's risk is 100 - score). Each function takes `(risk, churned)`
pairs.

- AUC (ROC) = P(risk of a random churner > risk of a random retained account),
  ties counting one half: the Mann-Whitney U statistic divided by
  n_churned · n_retained, computed from mid-ranks in O(n log n).
- precision@k = share of churners among the k riskiest. Ties at the cut-off
  are shared out: a tied group straddling position k contributes its churner
  share times the slots it fills, i.e. the expectation over random tie-breaking,
  so the result never depends on input order.
- lift@k = precision@k / base churn rate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby

Sample = tuple[float, bool]


@dataclass(frozen=True, slots=True)
class Ranking:
    """The three figures for one predictor; None where undefined (e.g. no churner)."""

    auc: float | None
    precision_at_k: float | None
    lift: float | None
    k: int


def auc(samples: Iterable[Sample]) -> float | None:
    """Area under the ROC curve; None unless both classes are present."""
    ordered = sorted(samples, key=lambda s: s[0])
    positives = sum(1 for _, churned in ordered if churned)
    negatives = len(ordered) - positives
    if positives == 0 or negatives == 0:
        return None
    rank_sum = 0.0
    position = 0
    for _, group in groupby(ordered, key=lambda s: s[0]):
        members = list(group)
        # Ranks position+1 … position+len(members) share their mean.
        mid_rank = position + (len(members) + 1) / 2
        rank_sum += mid_rank * sum(1 for _, churned in members if churned)
        position += len(members)
    u = rank_sum - positives * (positives + 1) / 2
    return u / (positives * negatives)


def precision_at_k(samples: Iterable[Sample], k: int) -> float | None:
    """Share of churners among the k highest risks (ties shared out); None for k < 1 or n = 0."""
    ordered = sorted(samples, key=lambda s: s[0], reverse=True)
    if k < 1 or not ordered:
        return None
    k = min(k, len(ordered))
    hits = 0.0
    taken = 0
    for _, group in groupby(ordered, key=lambda s: s[0]):
        members = list(group)
        churners = sum(1 for _, churned in members if churned)
        slots = min(len(members), k - taken)
        hits += churners * slots / len(members)
        taken += slots
        if taken >= k:
            break
    return hits / k


def base_rate(samples: Sequence[Sample]) -> float | None:
    """Share of churners; None for no samples."""
    if not samples:
        return None
    return sum(1 for _, churned in samples if churned) / len(samples)


def lift(samples: Sequence[Sample], k: int) -> float | None:
    """precision@k over the base churn rate; None when either is undefined or the rate is 0."""
    precision = precision_at_k(samples, k)
    rate = base_rate(samples)
    if precision is None or not rate:
        return None
    return precision / rate


def default_k(samples: Sequence[Sample]) -> int:
    """The number of churners (precision@k is then also R-precision), or 10 if there are none."""
    churners = sum(1 for _, churned in samples if churned)
    return churners if churners > 0 else 10


def ranking(samples: Sequence[Sample], k: int | None = None) -> Ranking:
    """AUC, precision@k and lift of one predictor (k defaults to `default_k`)."""
    chosen = default_k(samples) if k is None else k
    return Ranking(
        auc=auc(samples),
        precision_at_k=precision_at_k(samples, chosen),
        lift=lift(samples, chosen),
        k=min(chosen, len(samples)),
    )
