"""Engagement: is the account using the product, and are its key people?

Factors (each mapped to 0-100 by its curve in the model file):

- trend: average daily active users over the recent window (7 d) divided by
  the same average over the baseline window (30 d) — the account against its
  own baseline; 0 when nobody was active in the baseline window.
- stickiness: DAU/MAU = average daily active users over the baseline window
  divided by the distinct users active in it.
- recency: days since anyone logged in (never forgotten, so silence decays).
- activity: active user-days over the baseline window (how much the product
  is used at all).
- active_users: distinct users active in the baseline window.
- breadth: distinct features used in the baseline window; left out when no
  login in the longest window carried a feature.
- champion / sponsor: days since the profile's champion_user_id /
  sponsor_user_id last logged in (the longest window when not at all); left
  out when the profile names nobody.
- key_features: the weighted share of the model's `key_features` used in the
  baseline window (1 = all of them); left out when the model names none.
- risk_actions: the weighted count of the model's `risk_features` used in the
  recent window; left out when the model names none.

Factors with a `percentile_curve` are scored by the account's rank among the
accounts of its segment (Context.signal). The component has data once any
login has been seen.
"""

from __future__ import annotations

from typing import NamedTuple

from models.components.base import DAY_SECONDS, Context, Signal, days_ago, percent, plural
from models.events import AccountProfile
from models.model_parts import ComponentName
from models.state import AccountState

ENGAGEMENT = ComponentName.ENGAGEMENT


class UserDays(NamedTuple):
    recent: int
    baseline: int
    monthly_users: int


def user_days(users: dict[str, list[int]], today: int, recent: int, baseline: int) -> UserDays:
    """User-days in the recent and the baseline window, in one pass over the users.

    Bit k of a user's mask is day `last - k`. Instead of re-basing every mask on
    `today`, the window masks are shifted the other way, so no number outgrows
    64 bits; days after `today` are dropped.
    """
    recent_bits, baseline_bits = (1 << recent) - 1, (1 << baseline) - 1
    recent_days = baseline_days = monthly_users = 0
    for last, mask in users.values():
        offset = today - last  # days from the user's last active day to today
        if offset >= baseline:
            continue
        if offset < 0:  # active "after today" (a clock ahead of ours): not counted
            mask >>= -offset
            offset = 0
        days = (mask & (baseline_bits >> offset)).bit_count()
        if days:
            monthly_users += 1
            baseline_days += days
            recent_days += (mask & (recent_bits >> offset)).bit_count()
    return UserDays(recent_days, baseline_days, monthly_users)


def engagement_signals(state: AccountState, ctx: Context) -> list[Signal]:
    if state.last_login is None:
        return []
    factors = ctx.model.components.engagement.factors
    recent, baseline = ctx.model.windows.recent, ctx.model.windows.baseline
    counted = ctx.activity(state)
    recent_dau = counted.recent_days / recent
    baseline_dau = counted.baseline_days / baseline
    trend = recent_dau / baseline_dau if baseline_dau else 0.0
    users = counted.baseline_users
    stickiness = baseline_dau / users if users else 0.0
    idle_days = max(0.0, (ctx.now - state.last_login) / DAY_SECONDS)

    signals = [
        ctx.signal(
            ENGAGEMENT,
            "trend",
            factors.trend,
            trend,
            _trend_text,
            (trend, baseline, recent_dau, baseline_dau),
        ),
        ctx.signal(
            ENGAGEMENT,
            "stickiness",
            factors.stickiness,
            stickiness,
            _stickiness_text,
            (stickiness, baseline_dau, users),
        ),
        ctx.signal(ENGAGEMENT, "recency", factors.recency, idle_days, _recency_text, (idle_days,)),
        ctx.signal(
            ENGAGEMENT,
            "activity",
            factors.activity,
            counted.baseline_days,
            _activity_text,
            (counted.baseline_days, baseline),
        ),
        ctx.signal(
            ENGAGEMENT, "active_users", factors.active_users, users, _users_text, (users, baseline)
        ),
    ]
    if state.features:
        used = sum(1 for day in state.features.values() if ctx.today - day < baseline)
        facts = (used, baseline)
        breadth = ctx.signal(ENGAGEMENT, "breadth", factors.breadth, used, _breadth_text, facts)
        signals.append(breadth)
    config = ctx.model.components.engagement
    if config.key_features:
        signals.append(_key_features_signal(state, config.key_features, ctx))
    if config.risk_features:
        signals.append(_risk_actions_signal(state, config.risk_features, ctx))
    if state.profile is not None:
        signals += _key_people_signals(state, state.profile, ctx)
    return signals


def _used_within(
    state: AccountState, features: dict[str, float], days: int, today: int
) -> list[str]:
    """The named features used in the last `days` days, in the model's order."""
    used = state.features
    return [name for name in features if name in used and today - used[name] < days]


def _key_features_signal(state: AccountState, weights: dict[str, float], ctx: Context) -> Signal:
    baseline = ctx.model.windows.baseline
    used = _used_within(state, weights, baseline, ctx.today)
    share = sum(weights[name] for name in used) / sum(weights.values())
    curve = ctx.model.components.engagement.factors.key_features.curve
    missing = [name for name in weights if name not in used]
    return Signal(
        ENGAGEMENT,
        "key_features",
        curve.at(share),
        _key_features_text,
        (used, missing, baseline),
        measure=share,
    )


def _risk_actions_signal(state: AccountState, weights: dict[str, float], ctx: Context) -> Signal:
    recent = ctx.model.windows.recent
    used = _used_within(state, weights, recent, ctx.today)
    count = sum(weights[name] for name in used)
    curve = ctx.model.components.engagement.factors.risk_actions.curve
    return Signal(
        ENGAGEMENT, "risk_actions", curve.at(count), _risk_text, (used, recent), measure=count
    )


def _key_people_signals(state: AccountState, profile: AccountProfile, ctx: Context) -> list[Signal]:
    """Champion and sponsor: days since each named person last logged in."""
    factors = ctx.model.components.engagement.factors
    signals = []
    for factor, user_id, curve, who in (
        ("champion", profile.champion_user_id, factors.champion.curve, "the champion"),
        ("sponsor", profile.sponsor_user_id, factors.sponsor.curve, "the executive sponsor"),
    ):
        if user_id is None:
            continue
        record = state.users.get(user_id)
        if record is None:
            days = ctx.model.longest_window_days
            signals.append(
                Signal(ENGAGEMENT, factor, curve.at(days), _never_text, (who, days), measure=days)
            )
        else:
            days = max(0, ctx.today - record[0])
            signals.append(
                Signal(ENGAGEMENT, factor, curve.at(days), _person_text, (who, days), measure=days)
            )
    return signals


def _key_features_text(used: list[str], missing: list[str], baseline: int) -> str:
    total = len(used) + len(missing)
    if not missing:
        return f"Uses all {plural(total, 'key feature')} ({', '.join(used)})"
    if not used:
        return f"None of the {plural(total, 'key feature')} used in the last {baseline} days"
    return (
        f"Uses {len(used)} of {plural(total, 'key feature')} in the last {baseline} days; "
        f"not {', '.join(missing)}"
    )


def _risk_text(used: list[str], recent: int) -> str:
    if not used:
        return f"No risk actions in the last {recent} days"
    return f"Risk actions in the last {recent} days: {', '.join(used)}"


def _never_text(who: str, days: int) -> str:
    return f"No login by {who} in the last {days} days"


def _person_text(who: str, days: int) -> str:
    if days >= 7:
        return f"No login by {who} for {days} days"
    return f"{who[0].upper()}{who[1:]} logged in {days_ago(days)}"


def _activity_text(user_days: int, baseline: int) -> str:
    return f"{plural(user_days, 'active user-day')} in the last {baseline} days"


def _users_text(users: int, baseline: int) -> str:
    return f"{plural(users, 'active user')} in the last {baseline} days"


def _breadth_text(used: int, baseline: int) -> str:
    return f"{plural(used, 'feature')} used in the last {baseline} days"


def _stickiness_text(stickiness: float, baseline_dau: float, monthly_users: int) -> str:
    return (
        f"DAU/MAU {percent(stickiness)}: {baseline_dau:.1f} daily of "
        f"{plural(monthly_users, 'monthly user')}"
    )


def _recency_text(idle_days: float) -> str:
    days = int(idle_days)
    return f"No login by any user for {days} days" if days >= 7 else f"Last login {days_ago(days)}"


def _trend_text(trend: float, baseline: int, recent_dau: float, baseline_dau: float) -> str:
    if baseline_dau == 0:
        return f"No active users in the last {baseline} days"
    change = trend - 1
    direction = "up" if change >= 0 else "down"
    return (
        f"Daily active users {direction} {percent(abs(change))} against the "
        f"{baseline}-day baseline ({baseline_dau:.1f} → {recent_dau:.1f})"
    )
