"""An account's customer-experience counts from its state (models.experience.counts).

The windows are the model's and end on `today` (a UTC day number), as the
components' do; every count is what the matching component measures, without
weights: NPS answers counted one each whatever the role (the sentiment
component weighs them by role), CSAT and effort the support component's
answers, first replies its tickets (summed here, where it takes the median),
active users and user-days the engagement component's.
"""

from __future__ import annotations

from typing import Any

from models.activity import UserActivity, user_activity
from models.experience.counts import NO_ROLE
from models.model_config import Windows
from models.state import DAY_SECONDS, AccountState
from models.state_records import (
    NONE,
    R_AT,
    R_ROLE,
    R_SCORE,
    ROLES,
    T_CSAT,
    T_CSAT_AT,
    T_EFFORT,
    T_EFFORT_AT,
    T_FIRST_REPLY,
    T_OPENED,
)

# The persona of each role code + 1: no_role first (code NONE, -1), then the roles.
_PERSONAS = (NO_ROLE, *ROLES)
# The order a health lists them in: the roles, then no_role.
_LISTED = (*range(1, len(_PERSONAS)), 0)


def account_experience(
    state: AccountState, today: int, windows: Windows, activity: UserActivity | None = None
) -> dict[str, Any]:
    """The counts of `models.experience.counts.Experience`, as plain data.

    `activity` is the state's user activity as of `today` in these windows, when the
    caller counted it already (models.activity).
    """
    # Per role code + 1: [promoters, passives, detractors]. Scoring runs this for every
    # evaluation, so the loops stay flat.
    counts = [[0, 0, 0] for _ in _PERSONAS]
    nps_start = (today - windows.sentiment + 1) * DAY_SECONDS
    for record in state.respondents.values():
        if record[R_AT] >= nps_start:
            score = record[R_SCORE]
            counts[record[R_ROLE] + 1][0 if score >= 9 else 1 if score >= 7 else 2] += 1
    if activity is None:
        activity = user_activity(state, today, windows.recent, windows.baseline, 0)
    active_by_role = activity.baseline_by_role

    return {
        "personas": {
            persona: {
                "promoters": promoters,
                "passives": passives,
                "detractors": detractors,
                "active_users": active,
            }
            for persona, (promoters, passives, detractors), active in (
                (_PERSONAS[i], counts[i], active_by_role[i]) for i in _LISTED
            )
            if promoters or passives or detractors or active
        },
        **_support_counts(state, (today - windows.support + 1) * DAY_SECONDS),
        "activity": {
            "users": activity.baseline_users,
            "user_days": activity.baseline_days,
            "days": windows.baseline,
        },
    }


def _support_counts(state: AccountState, start: int) -> dict[str, Any]:
    """CSAT, effort and first reply over the tickets of the support window from `start`."""
    csat = [0, 0, 0]  # answers, satisfied (4-5), total
    effort = [0, 0]  # answers, total
    replied, reply_seconds = 0, 0
    for ticket in state.tickets.values():
        if ticket[T_CSAT_AT] >= start:
            answer = ticket[T_CSAT]
            csat[0] += 1
            csat[1] += answer >= 4
            csat[2] += answer
        if ticket[T_EFFORT_AT] >= start:
            effort[0] += 1
            effort[1] += ticket[T_EFFORT]
        opened, first_reply = ticket[T_OPENED], ticket[T_FIRST_REPLY]
        if opened >= start and first_reply != NONE:
            replied += 1
            reply_seconds += max(0, first_reply - opened)
    return {
        "csat": {"answers": csat[0], "satisfied": csat[1], "total": csat[2]},
        "effort": {"answers": effort[0], "total": effort[1]},
        "first_reply": {"tickets": replied, "hours": reply_seconds / 3600},
    }
