"""Who was active when, from one pass over an account's users.

Engagement (user-days and active users), the customer-experience counts
(active users per role) and growth (active users now against the window
before) all read the same users; an evaluation walks them once here and each
reads its figures off the result. Each figure is exactly what its own reader
would count alone (`engagement.user_days`, `growth.signals.active_users`).

Bit k of a user's mask is day `last - k` (models.state_records). A user active
"after today" (a clock ahead of ours) counts as of today: the days after it are
dropped.
"""

from __future__ import annotations

from typing import NamedTuple

from models.state import AccountState
from models.state_records import ROLES, U_ROLE


class UserActivity(NamedTuple):
    recent_days: int  # active user-days in the recent window
    baseline_days: int  # active user-days in the baseline window
    baseline_users: int  # distinct users active in the baseline window
    # Of those, per role code + 1 (index 0: users no login named a role for).
    baseline_by_role: list[int]
    growth_recent: int  # distinct users active in the growth window
    growth_earlier: int  # distinct users active in the growth window before it


def user_activity(
    state: AccountState, today: int, recent: int, baseline: int, growth: int
) -> UserActivity:
    """The figures of windows of `recent`, `baseline` and `growth` days ending `today`
    (and of the `growth` days before), in one pass over the users."""
    recent_bits, baseline_bits = (1 << recent) - 1, (1 << baseline) - 1
    growth_bits = (1 << growth) - 1
    earlier_bits = ((1 << (2 * growth)) - 1) ^ growth_bits
    span = max(baseline, 2 * growth)
    roles = state.user_roles
    by_role = [0] * (len(ROLES) + 1)
    recent_days = baseline_days = baseline_users = growth_recent = growth_earlier = 0
    for user_id, (last, mask) in state.users.items():
        offset = today - last  # days from the user's last active day to today
        if offset >= span:
            continue
        if offset < 0:
            mask >>= -offset
            offset = 0
        days = (mask & (baseline_bits >> offset)).bit_count()
        if days:
            baseline_users += 1
            baseline_days += days
            recent_days += (mask & (recent_bits >> offset)).bit_count()
            role = roles.get(user_id)
            by_role[role[U_ROLE] + 1 if role is not None else 0] += 1
        if mask & (growth_bits >> offset):
            growth_recent += 1
        if mask & (earlier_bits >> offset):
            growth_earlier += 1
    return UserActivity(
        recent_days, baseline_days, baseline_users, by_role, growth_recent, growth_earlier
    )
