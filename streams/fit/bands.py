"""Band edges chosen for the churn precision they give (pure).

Given the fitted model's scores of the training samples and whether each
churned, an edge e flags every sample scoring below it. Its precision is the
churn rate among the flagged, its recall the share of churners flagged.

- `at_risk` (critical below it): the highest whole-number edge whose
  precision reaches the critical target (`--precision`, 0.5);
- `healthy` (at_risk or critical below it): the highest edge above `at_risk`
  whose precision reaches the at-risk target (`--at-risk-precision`, 0.3).

The highest edge is the one that flags the most churners at that precision.
Flagging everyone gives the base churn rate, so a target at or below it would
put every account below `healthy`: such a target is raised to the base rate +
`MARGIN` (the report says so). An edge that flags fewer than `MIN_FLAGGED`
samples is not trusted; with no edge meeting the target, the band is empty
(its edge lies below every score).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MARGIN = 0.05
MIN_FLAGGED = 5


@dataclass(frozen=True, slots=True)
class Edge:
    edge: float
    target: float  # the precision asked for (after raising it above the base rate)
    flagged: int  # samples below the edge
    precision: float | None  # churn rate below the edge
    recall: float | None  # share of churners below the edge


def measure(scored: Sequence[tuple[float, bool]], edge: float, target: float) -> Edge:
    """Precision and recall of flagging every sample that scores below `edge`."""
    flagged = [churned for score, churned in scored if score < edge]
    churners = sum(1 for _, churned in scored if churned)
    hits = sum(flagged)
    return Edge(
        edge=edge,
        target=target,
        flagged=len(flagged),
        precision=round(hits / len(flagged), 3) if flagged else None,
        recall=round(hits / churners, 3) if churners else None,
    )


def _highest(
    scored: Sequence[tuple[float, bool]], target: float, lowest: int, highest: int
) -> float | None:
    """The highest whole edge in [lowest, highest] meeting the target, if any."""
    best = None
    for edge in range(lowest, highest + 1):
        found = measure(scored, edge, target)
        if found.flagged >= MIN_FLAGGED and (found.precision or 0.0) >= target:
            best = float(edge)
    return best


def choose_edges(
    scored: Sequence[tuple[float, bool]], critical: float, at_risk: float
) -> tuple[Edge, Edge]:
    """The (at_risk, healthy) edges for the two precision targets."""
    if not scored:
        raise ValueError("no scored samples to choose band edges from")
    rate = sum(1 for _, churned in scored if churned) / len(scored)
    critical = max(critical, round(rate + MARGIN, 3))
    at_risk = max(at_risk, round(rate + MARGIN, 3))
    low = _highest(scored, critical, 1, 99) or 0.0
    high = _highest(scored, at_risk, int(low) + 1, 100) or low + 1
    return measure(scored, low, critical), measure(scored, high, at_risk)
