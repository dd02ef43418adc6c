"""Sentiment: what the account's people say when asked (NPS).

Factor nps (mapped to 0-100 by its curve): a role-weighted NPS over the
sentiment window (180 d), counting only each respondent's latest answer
(weighted by the respondent's latest known role):

    NPS = 100 * (Σ w·[score ≥ 9] - Σ w·[score ≤ 6]) / Σ w

with w = role_weights[role] (unknown_role_weight without a role), so a
detractor executive weighs more than an end user. With every w = 1 this is
the standard %promoters - %detractors. A new detractor can only lower it.

The component has data once one answer lies inside the window.
"""

from __future__ import annotations

from models.components.base import Context, Signal, plural, role_phrase
from models.model_parts import ComponentName
from models.state import AccountState
from models.state_records import NONE, R_AT, R_ROLE, R_SCORE, ROLES

SENTIMENT = ComponentName.SENTIMENT


def weighted_nps(answers: list[tuple[int, float]]) -> float:
    """NPS of (score, weight) answers, -100…100."""
    total = sum(weight for _, weight in answers)
    promoters = sum(weight for score, weight in answers if score >= 9)
    detractors = sum(weight for score, weight in answers if score <= 6)
    return 100 * (promoters - detractors) / total


def sentiment_signals(state: AccountState, ctx: Context) -> list[Signal]:
    if not state.respondents:
        return []
    config = ctx.model.components.sentiment
    role_weights = config.role_weights
    start = ctx.window_start(ctx.model.windows.sentiment)
    answers: list[tuple[int, float]] = []
    # The detractor to name: heaviest role, then lowest score, then most recent.
    worst: tuple[float, int, int, int] | None = None
    for record in state.respondents.values():
        at, score, role = record[R_AT], record[R_SCORE], record[R_ROLE]
        if at < start:
            continue
        weight = (
            role_weights.get(ROLES[role], config.unknown_role_weight)
            if role != NONE
            else config.unknown_role_weight
        )
        answers.append((score, weight))
        if score <= 6:
            candidate = (weight, -score, at, role)
            if worst is None or candidate > worst:
                worst = candidate
    if not answers:
        return []
    nps = weighted_nps(answers)
    value = ctx.model.components.sentiment.factors.nps.curve.at(nps)
    named = worst if value < ctx.model.neutral_score else None
    return [Signal(SENTIMENT, "nps", value, _nps_text, (nps, answers, named), measure=nps)]


def _nps_text(
    nps: float, answers: list[tuple[int, float]], worst: tuple[float, int, int, int] | None
) -> str:
    """The NPS summary, led by the detractor to name when there is one."""
    promoters = sum(1 for score, _ in answers if score >= 9)
    detractors = sum(1 for score, _ in answers if score <= 6)
    summary = (
        f"weighted NPS {nps:+.0f} from {plural(len(answers), 'respondent')} "
        f"({plural(promoters, 'promoter')}, {plural(detractors, 'detractor')})"
    )
    if worst is None:
        return summary[0].upper() + summary[1:]
    _, negative_score, _, role = worst
    who = role_phrase(ROLES[role].value if role != NONE else None)
    return f"Detractor NPS ({-negative_score}) from {who}; {summary}"
