"""Engagement: is the account using the product, and are its key people?

Factors (each mapped to 0-100 by its curve in the model file):

- trend: average daily active users over the recent window (7 d) divided by
  the same average over the baseline window (30 d) — the account against its
  own baseline; 0 when nobody was active in the baseline window.
- stickiness: DAU/MAU = average daily active users over the baseline window
  divided by the distinct users active in it.
- recency: days since anyone logged in (never forgotten, so silence decays).
- breadth: distinct features used in the baseline window; left out when no
  login in the longest window carried a feature.
- champion / sponsor: days since the profile's champion_user_id /
  sponsor_user_id last logged in (the longest window when not at all); left
  out when the profile names nobody.

The component has data once any login has been seen.
"""

from __future__ import annotations

from models.components.base import DAY_SECONDS, Context, Signal, days_ago, percent, plural
from models.model_parts import ComponentName
from models.state import AccountState

ENGAGEMENT = ComponentName.ENGAGEMENT


def active_days(last: int, mask: int, today: int, window: int) -> int:
    """Days a user was active within the `window` UTC days ending `today`."""
    offset = today - last  # bit k is day `last - k`; day `today - j` is bit `j - offset`
    high = window - offset
    low = -offset if offset < 0 else 0
    if high <= low:
        return 0
    return ((mask >> low) & ((1 << (high - low)) - 1)).bit_count()


def engagement_signals(state: AccountState, ctx: Context) -> list[Signal]:
    if state.last_login is None:
        return []
    model = ctx.model
    factors = model.components.engagement.factors
    recent, baseline = model.windows.recent, model.windows.baseline
    today = ctx.today
    recent_user_days = baseline_user_days = monthly_users = 0
    for last, mask in state.users.values():
        if today - last >= baseline:
            continue
        days = active_days(last, mask, today, baseline)
        if days:
            monthly_users += 1
            baseline_user_days += days
            recent_user_days += active_days(last, mask, today, recent)
    recent_dau = recent_user_days / recent
    baseline_dau = baseline_user_days / baseline
    trend = recent_dau / baseline_dau if baseline_dau else 0.0
    stickiness = baseline_dau / monthly_users if monthly_users else 0.0
    idle_days = max(0.0, (ctx.now - state.last_login) / DAY_SECONDS)

    signals = [
        Signal(
            ENGAGEMENT,
            "trend",
            factors.trend.curve.at(trend),
            _trend_text(trend, baseline, recent_dau, baseline_dau),
        ),
        Signal(
            ENGAGEMENT,
            "stickiness",
            factors.stickiness.curve.at(stickiness),
            f"DAU/MAU {percent(stickiness)}: {baseline_dau:.1f} daily of "
            f"{plural(monthly_users, 'monthly user')}",
        ),
        Signal(
            ENGAGEMENT, "recency", factors.recency.curve.at(idle_days), _recency_text(idle_days)
        ),
    ]
    if state.features:
        used = sum(1 for day in state.features.values() if today - day < baseline)
        signals.append(
            Signal(
                ENGAGEMENT,
                "breadth",
                factors.breadth.curve.at(used),
                f"{plural(used, 'feature')} used in the last {baseline} days",
            )
        )
    profile = state.profile
    if profile is not None:
        for factor, user_id, who in (
            ("champion", profile.champion_user_id, "the champion"),
            ("sponsor", profile.sponsor_user_id, "the executive sponsor"),
        ):
            if user_id is None:
                continue
            record = state.users.get(user_id)
            curve = factors.champion.curve if factor == "champion" else factors.sponsor.curve
            if record is None:
                days = model.longest_window_days
                text = f"No login by {who} in the last {days} days"
            else:
                days = max(0, today - record[0])
                text = (
                    f"No login by {who} for {days} days"
                    if days >= 7
                    else f"{who[0].upper()}{who[1:]} logged in {days_ago(days)}"
                )
            signals.append(Signal(ENGAGEMENT, factor, curve.at(days), text))
    return signals


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
