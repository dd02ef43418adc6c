"""Demo accounts that grow, so the growth list has candidates (`healthscore demo`).

A share of the healthy mid-market and enterprise accounts is growing: part of
its seats is held back and rolled out one user at a time over ROLLOUT_DAYS from
the day the rollout starts, it adopts the add-on modules (features no other
account uses) within those days, its decision-makers answer the NPS survey as
promoters, and its renewal falls 40 to 100 days after the rollout starts; each
of the last three for most growing accounts, not all. So on the demo's first
day live, active users have risen against the two weeks before, and for most
the add-ons are new, the executives promote it and the renewal is near: the
growth list has candidates of every strength.

Dates are calendar dates, so the live demo, which packs many simulated hours
into each real day, rolls out at the calendar's pace. Every decision draws on
a random stream of its own, so a company without expansions makes exactly the
same events as before they existed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from models.events import Role

if TYPE_CHECKING:  # the company imports this module
    from streams.demo.company import Account, Events

GROWING_SHARE = 0.15  # of the accounts that qualify
SHOWS_EACH = 0.75  # the share of growing accounts that adopt add-ons, promote, renew soon
HELD_SHARE = 0.4  # of the seats, rolled out during the growth
ROLLOUT_DAYS = 24
ADD_ONS = ("advanced_analytics", "workspaces", "audit_log")
ADD_ON_USES_PER_DAY = 0.8  # per adopted add-on
DECIDERS = (Role.FINANCE_EXECUTIVE, Role.BUSINESS_EXECUTIVE, Role.IT_LEADER)


@dataclass
class Growth:
    """One growing account's plan: who joins when, which add-on from when, the survey."""

    joining: list[tuple[date, str]]  # (day, user), in day order
    add_ons: list[tuple[str, date]]  # (feature, adopted on)
    survey_on: date
    surveyed: bool = False
    deciders: list[str] = field(default_factory=list)


class Expansions:
    def __init__(self, seed: int, accounts: list[Account], rollout_from: date) -> None:
        self.rng = random.Random(f"expansions-{seed}")
        self.growing: dict[str, Growth] = {}
        for a in accounts:
            qualifies = a.segment != "smb" and a.target >= 0.5 and len(a.users) >= 6
            if self.rng.random() < GROWING_SHARE and qualifies:
                self.growing[a.account_id] = self._plan(a, rollout_from)

    def _plan(self, a: Account, start: date) -> Growth:
        """The account's growth; not every growing account shows every signal."""
        rng = self.rng
        a.health = a.target = rng.uniform(0.85, 0.95)
        a.pull = 0.01
        soon = rng.random() < SHOWS_EACH
        a.renewal_date = start + timedelta(days=rng.randint(40, 100) if soon else 300)
        kept = len(a.users) - round(len(a.users) * HELD_SHARE)
        held, a.users = a.users[kept:], a.users[:kept]
        joining = sorted((start + timedelta(days=rng.randrange(ROLLOUT_DAYS)), u) for u in held)
        adopts = rng.random() < SHOWS_EACH
        add_ons = [(f, start + timedelta(days=rng.randint(1, 10))) for f in ADD_ONS if adopts]
        # The sponsor (a business executive) is always among the first users.
        promote = rng.random() < SHOWS_EACH
        deciders = [u for u in a.users if a.roles[u] in DECIDERS and promote]
        survey_on = start + timedelta(days=rng.randint(0, 6))
        return Growth(joining, add_ons, survey_on, deciders=deciders)

    def grow(self, a: Account, today: date, fraction: float, events: Events) -> None:
        """What the account's growth adds to `fraction` of `today`: users who join, uses of
        the add-ons adopted, and the decision-makers' survey answers once."""
        growth = self.growing.get(a.account_id)
        if growth is None:
            return
        while growth.joining and growth.joining[0][0] <= today:
            a.users.append(growth.joining.pop(0)[1])
        rng = self.rng
        for feature, adopted_on in growth.add_ons:
            if adopted_on <= today and rng.random() < ADD_ON_USES_PER_DAY * fraction:
                user = rng.choice(a.users)
                role = a.roles[user].value
                login = self._event(a, "login", today, user_id=user, role=role, feature=feature)
                events["logins"].append(login)
        if not growth.surveyed and growth.survey_on <= today:
            growth.surveyed = True
            for user in growth.deciders:
                score = rng.choice((9, 10))
                role = a.roles[user].value
                answer = self._event(a, "nps", today, respondent_id=user, score=score, role=role)
                events["nps"].append(answer)

    def _event(self, a: Account, kind: str, today: date, **fields: Any) -> dict[str, Any]:
        moment = datetime.combine(today, time(9), UTC) + timedelta(
            seconds=self.rng.randint(0, 8 * 3600)
        )
        return {
            "event_id": a.next_id(kind),
            "account_id": a.account_id,
            "occurred_at": min(moment, datetime.now(UTC)).isoformat(),
            **fields,
        }
