"""One account's expansion signals as of `now`: does it show it could buy more?

With W = `growth.window_days`, the window is the last W UTC days (today
included) and the window before is the W days before it. Four signals, each
worth its weight when it holds:

- users_rising: distinct users active in the window >= `min_added` more than
  in the window before, and >= `min_rise` more as a share; the account must
  have had active users in the window before (a first rollout is onboarding);
- breadth_rising: >= `min_new_features` features used for the first time in
  the window, by an account that had active users in the window before;
- decision_maker_promoters: among the latest NPS answers of the sentiment
  window given by a decision-making role (`roles`), >= `min_promoters`
  promoters (9-10), and more promoters than detractors (0-6);
- renewal_approaching: the next pending renewal (as the commercial
  component reads it) is today or within `within_days`.

    strength  = 100 * (sum of the weights of the signals that hold) / (sum of all weights)
    candidate = not churned and band healthy and strength >= min_strength

Each signal that holds is a driver (component `growth`) whose impact is its
share of the strength, so the drivers add up to the strength.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from models.activity import UserActivity
from models.components.base import DAY_SECONDS, plural, role_words
from models.components.commercial import next_renewal_day, profile_renewal_day
from models.growth.settings import GrowthSettings
from models.health import Band
from models.state import AccountState
from models.state_records import NONE, R_AT, R_ROLE, R_SCORE, ROLE_CODE, ROLES

GROWTH = "growth"
# Features named in a driver's sentence, at most.
_NAMED = 3


def active_users(users: dict[str, list[int]], today: int, window: int) -> tuple[int, int]:
    """Distinct users active in the window ending `today`, and in the window before it.

    Bit k of a user's mask is day `last - k`, as in engagement.user_days: the
    window masks are shifted by the days from the user's last day to today.
    """
    recent_bits = (1 << window) - 1
    earlier_bits = ((1 << (2 * window)) - 1) ^ recent_bits
    span = 2 * window
    recent = earlier = 0
    for last, mask in users.values():
        offset = today - last
        if offset >= span:
            continue
        if offset < 0:  # active "after today" (a clock ahead of ours): counted as today
            mask >>= -offset
            offset = 0
        if mask & (recent_bits >> offset):
            recent += 1
        if mask & (earlier_bits >> offset):
            earlier += 1
    return recent, earlier


def assess_growth(
    state: AccountState,
    now: int,
    settings: GrowthSettings,
    sentiment_days: int,
    band: Band,
    churned: bool,
    activity: UserActivity | None = None,
) -> dict[str, Any]:
    """The account's `Growth` as plain data, as of epoch second `now` (pure).

    NPS answers count over the last `sentiment_days` days (the model's sentiment window).
    `activity` is the state's user activity as of today with `settings.window_days` as
    its growth window, when the caller counted it already (models.activity).
    """
    today = now // DAY_SECONDS
    window = settings.window_days
    signals = settings.signals
    if activity is None:
        recent, earlier = active_users(state.users, today, window)
    else:
        recent, earlier = activity.growth_recent, activity.growth_earlier
    held: list[tuple[str, str]] = []  # (signal, its sentence), in the model file's order
    rise = signals.users_rising
    if earlier and recent - earlier >= rise.min_added and recent >= earlier * (1 + rise.min_rise):
        held.append(("users_rising", _users_text(earlier, recent, window)))
    first_day = today - window + 1
    new = sorted(f for f, since in state.features_since.items() if since >= first_day)
    if earlier and len(new) >= signals.breadth_rising.min_new_features:
        held.append(("breadth_rising", _breadth_text(new, window)))
    promoters = _decision_maker_promoters(state, now, settings, sentiment_days)
    if promoters is not None:
        held.append(("decision_maker_promoters", promoters))
    renewal = next_renewal_day(list(state.contracts.values()), profile_renewal_day(state))
    if renewal is not None and 0 <= renewal - today <= signals.renewal_approaching.within_days:
        held.append(("renewal_approaching", _renewal_text(renewal - today)))

    weights = signals.weights
    total = sum(weights.values())
    # Strongest first; sorted() is stable, so ties keep the order of the model file.
    drivers = [
        {"code": f"{GROWTH}.{name}", "text": text, "impact": points, "component": GROWTH}
        for points, name, text in sorted(
            ((round(100 * weights[name] / total, 1), name, text) for name, text in held),
            key=lambda p: -p[0],
        )
        if points > 0
    ]
    strength = min(100.0, round(100 * sum(weights[name] for name, _ in held) / total, 1))
    candidate = not churned and band is Band.HEALTHY and strength >= settings.min_strength
    return {"candidate": candidate, "strength": strength, "drivers": drivers}


def _decision_maker_promoters(
    state: AccountState, now: int, settings: GrowthSettings, sentiment_days: int
) -> str | None:
    """The driver's sentence when decision-makers promote the account, else None."""
    wanted = settings.signals.decision_maker_promoters
    roles = {ROLE_CODE[role] for role in wanted.roles}
    start = (now // DAY_SECONDS - sentiment_days + 1) * DAY_SECONDS
    promoters: Counter[int] = Counter()  # role code -> promoters in it
    detractors = 0
    for record in state.respondents.values():
        role = record[R_ROLE]
        if role == NONE or role not in roles or record[R_AT] < start:
            continue
        if record[R_SCORE] >= 9:
            promoters[role] += 1
        elif record[R_SCORE] <= 6:
            detractors += 1
    count = promoters.total()
    if count < wanted.min_promoters or count <= detractors:
        return None
    return _promoters_text(promoters, detractors)


def _users_text(earlier: int, recent: int, window: int) -> str:
    return (
        f"Active users up from {earlier} to {recent} "
        f"(+{100 * (recent - earlier) / earlier:.0f}%): the last {window} days against "
        f"the {window} before"
    )


def _breadth_text(new: list[str], window: int) -> str:
    named = ", ".join(new[:_NAMED])
    more = f" and {len(new) - _NAMED} more" if len(new) > _NAMED else ""
    return f"{plural(len(new), 'feature')} used for the first time in the last {window} days: " + (
        named + more
    )


def _promoters_text(promoters: Counter[int], detractors: int) -> str:
    """'3 promoters among decision-makers (2 business executives, 1 IT leader), no detractor'."""
    # The most promoters first, then in the order of the roles.
    by_role = sorted(promoters.items(), key=lambda item: (-item[1], item[0]))
    who = ", ".join(plural(n, role_words(ROLES[role].value)) for role, n in by_role)
    against = f"against {plural(detractors, 'detractor')}" if detractors else "no detractor"
    return f"{plural(promoters.total(), 'promoter')} among decision-makers ({who}), {against}"


def _renewal_text(days: int) -> str:
    when = "today" if days == 0 else f"in {plural(days, 'day')}"
    return f"Renewal {when}: the moment to propose more"
