"""One pass over the users counts exactly what engagement and growth count on their own."""

from __future__ import annotations

import random

import pytest

from models.activity import user_activity
from models.components.engagement import user_days
from models.growth.signals import active_users
from models.state import AccountState, new_state
from models.state_records import ROLES, U_ROLE

TODAY = 20_000


def _random_state(rng: random.Random) -> AccountState:
    state = new_state("a")
    for n in range(rng.randrange(0, 40)):
        user_id = f"u{n}"
        # Days before today (some "after" it, as a clock ahead of ours gives), and masks
        # of up to 63 days.
        last = TODAY - rng.randrange(-3, 70)
        state.users[user_id] = [last, rng.getrandbits(63) | 1]
        if rng.random() < 0.7:
            state.user_roles[user_id] = [rng.randrange(len(ROLES)), last]
    return state


@pytest.mark.parametrize("seed", range(40))
def test_one_pass_counts_what_each_reader_counts_alone(seed: int) -> None:
    rng = random.Random(seed)
    state = _random_state(rng)
    recent, baseline, growth = rng.randrange(1, 15), rng.randrange(15, 40), rng.randrange(1, 31)
    counted = user_activity(state, TODAY, recent, baseline, growth)
    alone = user_days(state.users, TODAY, recent, baseline)
    assert (counted.recent_days, counted.baseline_days, counted.baseline_users) == alone
    grown = active_users(state.users, TODAY, growth)
    assert (counted.growth_recent, counted.growth_earlier) == grown
    by_role = [0] * (len(ROLES) + 1)
    for user_id in state.users:
        if user_days({user_id: state.users[user_id]}, TODAY, recent, baseline).baseline:
            role = state.user_roles.get(user_id)
            by_role[role[U_ROLE] + 1 if role is not None else 0] += 1
    assert counted.baseline_by_role == by_role
    assert sum(by_role) == counted.baseline_users
