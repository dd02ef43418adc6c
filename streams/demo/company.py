"""A synthetic B2B company for `healthscore demo`: accounts whose hidden health drifts.

Pure generation, no I/O: `Company.day(date)` returns the events of one
simulated day, per topic. Activity, tickets, survey answers and renewal
outcomes all follow each account's hidden health, so the score has something
real to find, and some accounts decline until they churn.

Hidden health is pulled each day towards the account's `target` (plus noise).
Some accounts start out in trouble (a low target); any account may get into
trouble later (the champion leaves, a budget is cut) or out of it, about once
every three years on average. Contracts renew yearly; at each renewal the
account churns with probability `CHURN_AT_ZERO_HEALTH · (1 - health)²`, so
churn follows hidden health without being decided by it. Each renewal is
announced (`upcoming`) `ANNOUNCE_DAYS` before its date. With `renewal_timing`
(the live demo) it is decided up to `EARLIEST_DAYS` before its date or
`LATEST_DAYS` after it, as a CRM records renewals; without, on its date, as
the backtest's histories have it. The announcements and the timing draw from
a random generator of their own, so a history's other events stay the same.

With `winbacks` (the live demo), churned accounts come back and some churn
again (streams/demo/winbacks.py); with `expansions_from`, some accounts grow
from that day (streams/demo/expansions.py); without, the company is exactly
what it was.

How that health shows in the events depends on the product simulated: a
`Profile` (streams/demo/profiles.py) sets how often users log in, how many
there are, which features exist and which of them matter, whether tickets and
NPS answers exist and how closely they follow health. The default profile is
the demo's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from models.events import Role
from streams.demo.expansions import Expansions
from streams.demo.profiles import DEFAULT, Profile
from streams.demo.winbacks import Winbacks

SEGMENTS = {
    "enterprise": (120_000, 600_000, 60),
    "mid_market": (25_000, 120_000, 20),
    "smb": (3_000, 25_000, 6),
}
REGIONS = ("na", "emea", "apac", "latam")
LINES = ("analytics", "payments", "workflow")
OWNERS = ("dana", "lee", "morgan", "sam", "alex", "kim")
STAGES = ("onboarding", "adoption", "adoption", "adoption", "renewal")
ROLES = tuple(Role)
TROUBLE_PER_DAY = 0.001  # chance per account and day that its target changes
CHURN_AT_ZERO_HEALTH = 0.75
ANNOUNCE_DAYS = 120
EARLIEST_DAYS, LATEST_DAYS = 30, 20  # how early or late renewal_timing decides
LATE_SHARE = 0.25  # of renewals decided after their date, with renewal_timing
NAMES = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Wonka",
    "Gringotts",
    "Oscorp",
    "Aperture",
    "Nakatomi",
)

Events = dict[str, list[dict[str, Any]]]


@dataclass
class Account:
    account_id: str
    name: str
    segment: str
    region: str
    line: str
    owner: str
    arr: float
    renewal_date: date
    stage: str
    users: list[str]
    roles: dict[str, Role]
    health: float  # hidden, 0..1
    target: float  # where health is heading
    pull: float  # share of the gap to `target` closed per day
    churned: bool = False
    renewals: int = 0
    churned_on: date | None = None  # with winbacks: when it churned, and whether it returns
    comes_back: bool = False
    announced: bool = False  # the next renewal's `upcoming` event was sent
    lead: int = 0  # days before the renewal date it is decided (negative: after)
    id_prefix: str = "h"
    open_tickets: dict[str, tuple[str, date, bool]] = field(default_factory=dict)
    seq: int = 0

    @property
    def champion(self) -> str:
        return self.users[0]

    @property
    def sponsor(self) -> str | None:
        return self.users[1] if len(self.users) > 1 else None

    def next_id(self, kind: str) -> str:
        self.seq += 1
        return f"{self.account_id}-{self.id_prefix}-{kind}-{self.seq}"


class Company:
    def __init__(
        self,
        accounts: int,
        start: date,
        seed: int = 7,
        profile: Profile = DEFAULT,
        *,
        winbacks: bool = False,
        renewal_timing: bool = False,
        expansions_from: date | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.timing = random.Random(f"renewal-timing-{seed}") if renewal_timing else None
        self.profile = profile
        valued = {f for f, _ in profile.value_features} | set(profile.risk_features)
        self.plain_features = tuple(f for f in profile.features if f not in valued)
        self.accounts = [self._new_account(i, start) for i in range(accounts)]
        self.winbacks = Winbacks(seed, self.accounts, start) if winbacks else None
        self.expansions = (
            Expansions(seed, self.accounts, expansions_from) if expansions_from else None
        )
        for account in self.accounts:
            account.lead = self._lead()

    def _lead(self) -> int:
        """When the next renewal is decided, relative to its date (0 without renewal_timing)."""
        if self.timing is None:
            return 0
        if self.timing.random() < LATE_SHARE:
            return -self.timing.randint(1, LATEST_DAYS)
        return self.timing.randint(0, EARLIEST_DAYS)

    def _new_account(self, index: int, start: date) -> Account:
        rng = self.rng
        segment = rng.choices(list(SEGMENTS), weights=(2, 5, 8))[0]
        low, high, seats = SEGMENTS[segment]
        count = self.profile.seats or max(3, int(rng.gauss(seats, seats / 4)))
        users = [f"u{index:04d}-{n}" for n in range(count)]
        roles = {users[0]: Role.DEPARTMENT_MANAGER}
        if count > 1:
            roles[users[1]] = Role.BUSINESS_EXECUTIVE
        for user in users[2:]:
            roles[user] = rng.choices(ROLES, weights=(1, 1, 3, 12, 2, 4))[0]
        health = rng.uniform(0.35, 0.95)
        target, pull = (health, 0.01) if rng.random() >= 0.18 else self._trouble()
        return Account(
            account_id=f"acct-{index:04d}",
            name=f"{NAMES[index % len(NAMES)]} {segment.replace('_', ' ').title()} {index}",
            segment=segment,
            region=rng.choice(REGIONS),
            line=rng.choice(LINES),
            owner=rng.choice(OWNERS),
            arr=round(rng.uniform(low, high), -2),
            renewal_date=start + timedelta(days=rng.randint(20, 365)),
            stage=rng.choice(STAGES),
            users=users,
            roles=roles,
            health=health,
            target=target,
            pull=pull,
        )

    def _trouble(self) -> tuple[float, float]:
        return self.rng.uniform(0.02, 0.3), self.rng.uniform(0.02, 0.06)

    def _drift(self, a: Account, fraction: float) -> None:
        rng = self.rng
        if rng.random() < TROUBLE_PER_DAY * fraction:
            if a.target > 0.4:
                a.target, a.pull = self._trouble()
            else:
                a.target, a.pull = rng.uniform(0.5, 0.9), 0.02
        step = (a.target - a.health) * a.pull + rng.gauss(0, 0.01)
        a.health = min(1.0, max(0.02, a.health + step * fraction))

    def go_live(self, run_id: str) -> None:
        """Give live events ids of this run: history is the same every run (and deduplicated
        on a second run), live activity is new."""
        for account in self.accounts:
            account.id_prefix = run_id

    def profiles(self, at: datetime) -> list[dict[str, Any]]:
        return [self._profile(a, at) for a in self.accounts]

    def _profile(self, a: Account, at: datetime) -> dict[str, Any]:
        return {
            "event_id": a.next_id("profile"),
            "account_id": a.account_id,
            "occurred_at": at.isoformat(),
            "name": a.name,
            "arr": a.arr,
            "segment": a.segment,
            "region": a.region,
            "line_of_business": a.line,
            "csm_owner": a.owner,
            "renewal_date": a.renewal_date.isoformat(),
            "lifecycle_stage": a.stage,
            "champion_user_id": a.champion,
            "sponsor_user_id": a.sponsor,
        }

    def day(self, today: date, fraction: float = 1.0) -> Events:
        """The events of `fraction` of one simulated day (a live tick is a small fraction)."""
        events: Events = {"logins": [], "tickets": [], "nps": [], "renewals": [], "accounts": []}
        for account in self.accounts:
            if account.churned:
                if self.winbacks is not None and self.winbacks.returns(account, today, fraction):
                    self._returned(account, today, events)
                continue
            self._drift(account, fraction)
            if self.expansions is not None:
                self.expansions.grow(account, today, fraction, events)
            self._logins(account, today, fraction, events["logins"])
            if self.profile.tickets:
                self._tickets(account, today, fraction, events["tickets"])
            if self.profile.nps and self.rng.random() < 0.04 * fraction:
                self._nps(account, today, events["nps"])
            if not account.announced and (account.renewal_date - today).days <= ANNOUNCE_DAYS:
                events["renewals"].append(self._announcement(account, today))
                account.announced = True
            if account.renewal_date - timedelta(days=account.lead) <= today:
                self._renew(account, today, events)
        return events

    def _at(self, today: date) -> str:
        moment = datetime.combine(today, time(8), UTC) + timedelta(
            seconds=self.rng.randint(0, 10 * 3600)
        )
        return min(moment, datetime.now(UTC)).isoformat()

    def _shown(self, a: Account) -> float:
        """The health that activity, tickets and survey answers follow (see Profile.coupling)."""
        coupling = self.profile.coupling
        return a.health if coupling == 1 else coupling * a.health + (1 - coupling) * 0.6

    def _logins(self, a: Account, today: date, fraction: float, out: list[dict[str, Any]]) -> None:
        profile = self.profile
        active_share = (0.05 + 0.55 * self._shown(a) ** 2) * profile.activity
        for user in a.users:
            if self.rng.random() < active_share * fraction:
                # The champion and sponsor drift away first as an account sours.
                if profile.key_people_leave and user in (a.champion, a.sponsor) and a.health < 0.4:
                    continue
                for _ in range(self._sessions()):
                    occurred_at = self._at(today)
                    out.append(
                        {
                            "event_id": a.next_id("login"),
                            "account_id": a.account_id,
                            "occurred_at": occurred_at,
                            "user_id": user,
                            "role": a.roles[user].value,
                            "feature": self._feature(a, today),
                        }
                    )

    def _sessions(self) -> int:
        sessions = self.profile.sessions
        if sessions == 1:
            return 1
        return max(1, round(self.rng.gauss(sessions, sessions / 3)))

    def _feature(self, a: Account, today: date) -> str:
        """The feature one login uses: value features while healthy, risk ones before leaving."""
        rng, profile = self.rng, self.profile
        if (
            profile.risk_features
            and a.health < 0.35
            and (a.renewal_date - today).days < 90
            and rng.random() < 0.25
        ):
            return rng.choice(profile.risk_features)
        if profile.value_features:
            used = [feature for feature, above in profile.value_features if a.health > above]
            if used and rng.random() < 0.15 * len(used):
                return rng.choice(used)
            return rng.choice(self.plain_features)
        breadth = max(1, int(len(profile.features) * a.health))
        return rng.choice(profile.features[:breadth])

    def _tickets(self, a: Account, today: date, fraction: float, out: list[dict[str, Any]]) -> None:
        rng = self.rng
        health = self._shown(a)
        if rng.random() < (0.05 + 0.5 * (1 - health)) * fraction * len(a.users) / 20:
            ticket = a.next_id("ticket")
            priority = rng.choices(
                ("low", "normal", "high", "urgent"),
                weights=(3, 5, 2 + 4 * (1 - health), 3 * (1 - health)),
            )[0]
            a.open_tickets[ticket] = (priority, today, False)
            out.append(self._ticket(a, ticket, "opened", priority, today))
        for ticket, (priority, opened, answered) in list(a.open_tickets.items()):
            if not answered and rng.random() < 0.7 * fraction:
                a.open_tickets[ticket] = (priority, opened, True)
                out.append(self._ticket(a, ticket, "first_response", priority, today))
            elif answered and rng.random() < (0.2 + 0.5 * health) * fraction:
                del a.open_tickets[ticket]
                csat = min(5, max(1, round(rng.gauss(1 + 4 * health, 0.8))))
                effort = min(7, max(1, round(rng.gauss(1 + 6 * health, 1.0))))
                out.append(
                    self._ticket(a, ticket, "resolved", priority, today, csat=csat, effort=effort)
                )

    def _ticket(
        self, a: Account, ticket: str, status: str, priority: str, today: date, **extra: int
    ) -> dict[str, Any]:
        return {
            "event_id": a.next_id("t"),
            "account_id": a.account_id,
            "occurred_at": self._at(today),
            "ticket_id": ticket,
            "status": status,
            "priority": priority,
            **extra,
        }

    def _nps(self, a: Account, today: date, out: list[dict[str, Any]]) -> None:
        health = self._shown(a)
        for user in self.rng.sample(a.users, k=min(3, len(a.users))):
            score = min(10, max(0, round(self.rng.gauss(2 + 8.5 * health, 1.5))))
            out.append(
                {
                    "event_id": a.next_id("nps"),
                    "account_id": a.account_id,
                    "occurred_at": self._at(today),
                    "respondent_id": user,
                    "score": score,
                    "role": a.roles[user].value,
                }
            )

    def _announcement(self, a: Account, today: date) -> dict[str, Any]:
        """The next contract's `upcoming` event, at 07:00 (UTC) of the day."""
        moment = min(datetime.combine(today, time(7), UTC), datetime.now(UTC))
        return {
            "event_id": a.next_id("renewal"),
            "account_id": a.account_id,
            "occurred_at": moment.isoformat(),
            "contract_id": f"{a.account_id}-c{a.renewals + 1}",
            "status": "upcoming",
            "renewal_date": a.renewal_date.isoformat(),
            "arr": a.arr,
        }

    def _renew(self, a: Account, today: date, events: Events) -> None:
        rng = self.rng
        a.renewals += 1
        when = self._at(today)
        if rng.random() < CHURN_AT_ZERO_HEALTH * (1 - a.health) ** 2:
            status, new_arr = "churned", 0.0
            a.churned = True
            if self.winbacks is not None:
                self.winbacks.churned(a, today)
        elif a.health > 0.75 and rng.random() < 0.4:
            status, new_arr = "expanded", round(a.arr * rng.uniform(1.1, 1.5), -2)
        elif a.health < 0.45:
            status, new_arr = "contracted", round(a.arr * rng.uniform(0.5, 0.9), -2)
        else:
            status, new_arr = "renewed", a.arr
        events["renewals"].append(
            {
                "event_id": a.next_id("renewal"),
                "account_id": a.account_id,
                "occurred_at": when,
                "contract_id": f"{a.account_id}-c{a.renewals}",
                "status": status,
                "renewal_date": a.renewal_date.isoformat(),
                "arr": a.arr,
                "new_arr": new_arr,
            }
        )
        if not a.churned:
            a.arr = new_arr
            a.renewal_date += timedelta(days=365)
            a.announced, a.lead = False, self._lead()
            a.stage = "adoption"
            if a.target < 0.4 and rng.random() < 0.5:
                # Renewed in spite of trouble: the success plan agreed with it often works.
                a.target, a.pull = rng.uniform(0.5, 0.85), 0.03
            events["accounts"].append(self._profile(a, datetime.fromisoformat(when)))

    def _returned(self, a: Account, today: date, events: Events) -> None:
        """A churned account is back on a new contract (Winbacks.returns set its terms)."""
        when = self._at(today)
        a.announced, a.lead = False, self._lead()
        events["renewals"].append(
            {
                "event_id": a.next_id("renewal"),
                "account_id": a.account_id,
                "occurred_at": when,
                "contract_id": f"{a.account_id}-c{a.renewals}",
                "status": "renewed",
                "renewal_date": today.isoformat(),
                "arr": a.arr,
            }
        )
        events["accounts"].append(self._profile(a, datetime.fromisoformat(when)))
