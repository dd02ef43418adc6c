"""Churned demo accounts that come back, and pilots that churn again (`healthscore demo`).

A share of the churned accounts signs a short pilot contract a week or more
after churning, and its users return; half the pilots sour, and may churn
again at their end, within weeks of the return. A few accounts start in
trouble with a renewal in the first weeks, so that churns, returns and second
churns all happen within the demo's first weeks of history.

Every decision draws on a random stream of its own, so a company without
win-backs makes exactly the same events as before they existed.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the company imports this module
    from streams.demo.company import Account

ENDING_SHARE = 0.08  # accounts that start near a troubled renewal
WINBACK_SHARE = 0.6  # churned accounts that come back
MIN_DAYS_AWAY = 3
RETURN_PER_DAY = 0.25  # once away long enough
PILOT_DAYS = (10, 21)  # the contract they come back on


class Winbacks:
    def __init__(self, seed: int, accounts: list[Account], start: date) -> None:
        self.rng = random.Random(seed + 1)
        for a in accounts:
            if self.rng.random() < ENDING_SHARE:
                a.renewal_date = start + timedelta(days=self.rng.randint(2, 12))
                a.health = self.rng.uniform(0.05, 0.25)
                a.target, a.pull = a.health, 0.01

    def churned(self, a: Account, today: date) -> None:
        a.churned_on = today
        a.comes_back = self.rng.random() < WINBACK_SHARE

    def returns(self, a: Account, today: date, fraction: float) -> bool:
        """Whether `a` comes back in this `fraction` of `today`; if so, its pilot's terms
        (ARR, renewal date, a new contract number) and a fresh start are set."""
        rng = self.rng
        away = (today - a.churned_on).days if a.churned_on is not None else 0
        if not a.comes_back or away < MIN_DAYS_AWAY or rng.random() >= RETURN_PER_DAY * fraction:
            return False
        a.churned = a.comes_back = False
        a.renewals += 1
        a.arr = round(a.arr * rng.uniform(0.5, 1.0), -2)
        a.renewal_date = today + timedelta(days=rng.randint(*PILOT_DAYS))
        a.stage = "onboarding"
        a.health = rng.uniform(0.25, 0.6)
        goes_well = rng.random() < 0.5
        a.target, a.pull = (
            (rng.uniform(0.6, 0.9), 0.05) if goes_well else (rng.uniform(0.02, 0.1), 0.15)
        )
        return True
