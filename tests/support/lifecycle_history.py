"""A small history of renewals, churns and resurrections, with its figures computed by hand.

Every date is an offset in days from `anchor`, the first day of a quarter
("Q"; the one before is "P"), so the same history serves the unit tests (a
fixed anchor) and the integration test (an anchor recent enough that every
event is younger than the longest window). Events happen at noon UTC.

    account          what happens                                     lifecycle now
    steady           c1 renewed at -20 (10,000 -> 12,000)             active
    partial          c1 churned and c2 renewed, both at +10           active (a partial churn)
    gone             c1 churned at -10 (20,000)                       churned
    won_back         c1 churned at -3 (30,000); c2 renewed at +5      resurrected at +5
    boomerang        c1 churned at -20 (8,000); c2 expanded at +1     churned at +40:
                     (to 9,000); c2 churned at +40                    re-churned 39 days after
    returning_users  logins at -5, -1; c1 churned at +2 (5,000);      resurrected at +13 by
                     logins on the 10 days +4..+13                    activity (10th login day)
    slow_return      c1 churned at +5 (7,000); logins every 4 days    churned: 8 login days in
                     from +6 to +50; c2 contracted at +20             the 30 after the churn

Churns by quarter of the churn (P: gone, won_back, boomerang's first;
Q: boomerang's second, returning_users, slow_return):

    quarter  churns  arr_lost  resurrections  rate  arr_won_back  rechurned
    P        3       58,000    2              2/3   34,000        1
    Q        3       21,000    1              1/3   0             0
    all      6       79,000    3              1/2   34,000        1

Now: 3 churned accounts (gone, boomerang, slow_return) with 36,000 ARR lost;
2 resurrected (won_back, returning_users) with 30,000 ARR (their profiles');
the bands hold the 4 accounts not churned, 48,000 ARR.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from models.events import TOPIC_EVENTS
from models.health import Health
from models.model_config import HealthModel
from models.scoring import score
from models.state import AccountState, apply_event, new_state

# The last event is at +50: the history is over by then.
LAST_OFFSET = 50
PROFILE_ARR = {
    "steady": 12_000.0,
    "partial": 6_000.0,
    "gone": 20_000.0,
    "won_back": 25_000.0,
    "boomerang": 9_000.0,
    "returning_users": 5_000.0,
    "slow_return": 7_000.0,
}


@dataclass(frozen=True)
class ExpectedLifecycle:
    status: str
    churned_on: int | None = None  # offsets from the anchor
    arr_lost: float | None = None
    resurrected_on: int | None = None
    churns: int = 0


EXPECTED_LIFECYCLES = {
    "steady": ExpectedLifecycle("active"),
    "partial": ExpectedLifecycle("active"),
    "gone": ExpectedLifecycle("churned", -10, 20_000.0, None, 1),
    "won_back": ExpectedLifecycle("resurrected", -3, 30_000.0, 5, 1),
    "boomerang": ExpectedLifecycle("churned", 40, 9_000.0, None, 2),
    "returning_users": ExpectedLifecycle("resurrected", 2, 5_000.0, 13, 1),
    "slow_return": ExpectedLifecycle("churned", 5, 7_000.0, None, 1),
}

# The figures of /portfolio/lifecycle, but the quarter names (filled in by `expected_answer`).
_FIGURES = {
    "P": {
        "churns": 3,
        "arr_lost": 58_000.0,
        "resurrections": 2,
        "resurrection_rate": 2 / 3,
        "arr_won_back": 34_000.0,
        "rechurned": 1,
    },
    "Q": {
        "churns": 3,
        "arr_lost": 21_000.0,
        "resurrections": 1,
        "resurrection_rate": 1 / 3,
        "arr_won_back": 0.0,
        "rechurned": 0,
    },
    "all": {
        "churns": 6,
        "arr_lost": 79_000.0,
        "resurrections": 3,
        "resurrection_rate": 0.5,
        "arr_won_back": 34_000.0,
        "rechurned": 1,
    },
}
CHURNED_NOW = {"accounts": 3, "arr_lost": 36_000.0}
RESURRECTED_NOW = {"accounts": 2, "arr": 30_000.0}
IN_THE_BANDS = {"accounts": 4, "arr": 48_000.0}


def quarter_name(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def anchor_for(today: date) -> date:
    """The first day of the quarter holding `today` - 60 days: every event falls
    between 177 and 5 days before `today`, inside the longest window."""
    day = today - timedelta(days=60)
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def expected_answer(anchor: date) -> dict[str, Any]:
    """The lifecycle figures of the history, as `GET /portfolio/lifecycle` answers them."""
    previous = quarter_name(anchor - timedelta(days=1))
    return {
        "churned": CHURNED_NOW,
        "resurrected": RESURRECTED_NOW,
        "all_time": _FIGURES["all"],
        "quarters": [
            {**_FIGURES["P"], "quarter": previous},
            {**_FIGURES["Q"], "quarter": quarter_name(anchor)},
        ],
    }


def account_ids(prefix: str) -> dict[str, str]:
    return {name: f"{prefix}{name}" for name in PROFILE_ARR}


class _History:
    def __init__(self, anchor: date, prefix: str) -> None:
        self.anchor = anchor
        self.prefix = prefix
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.count = 0

    def at(self, offset: int) -> str:
        return datetime.combine(self.anchor + timedelta(days=offset), time(12), UTC).isoformat()

    def add(self, topic: str, account: str, offset: int, **fields: Any) -> None:
        self.count += 1
        self.events.setdefault(topic, []).append(
            {
                "event_id": f"{self.prefix}{account}-{self.count}",
                "account_id": self.prefix + account,
                "occurred_at": self.at(offset),
                **fields,
            }
        )

    def renewal(
        self,
        account: str,
        offset: int,
        contract: str,
        status: str,
        arr: float,
        new_arr: float | None = None,
    ) -> None:
        due = (self.anchor + timedelta(days=offset)).isoformat()
        extra = {} if new_arr is None else {"new_arr": new_arr}
        self.add(
            "renewals",
            account,
            offset,
            contract_id=f"{account}-{contract}",
            status=status,
            renewal_date=due,
            arr=arr,
            **extra,
        )

    def logins(self, account: str, offsets: list[int]) -> None:
        for offset in offsets:
            self.add("logins", account, offset, user_id="u1")


def lifecycle_history(
    anchor: date, prefix: str = "", segment: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The history's events (JSON-ready), by input topic; account ids start with `prefix`."""
    h = _History(anchor, prefix)
    for account, arr in PROFILE_ARR.items():
        extra = {} if segment is None else {"segment": segment}
        h.add("accounts", account, -30, name=account.replace("_", " ").title(), arr=arr, **extra)
    h.renewal("steady", -20, "c1", "renewed", 10_000, 12_000)
    h.renewal("partial", 10, "c1", "churned", 4_000)
    h.renewal("partial", 10, "c2", "renewed", 6_000)
    h.renewal("gone", -10, "c1", "churned", 20_000)
    h.renewal("won_back", -3, "c1", "churned", 30_000)
    h.renewal("won_back", 5, "c2", "renewed", 25_000)
    h.renewal("boomerang", -20, "c1", "churned", 8_000)
    h.renewal("boomerang", 1, "c2", "expanded", 8_000, 9_000)
    h.renewal("boomerang", 40, "c2", "churned", 9_000)
    h.logins("returning_users", [-5, -1])
    h.renewal("returning_users", 2, "c1", "churned", 5_000)
    h.logins("returning_users", list(range(4, 14)))
    h.renewal("slow_return", 5, "c1", "churned", 7_000)
    h.logins("slow_return", list(range(6, LAST_OFFSET + 1, 4)))
    h.renewal("slow_return", 20, "c2", "contracted", 3_000, 2_000)
    return h.events


def folded_history(anchor: date, now: datetime, model: HealthModel) -> dict[str, AccountState]:
    """Each account's state once the whole history is folded in at `now`."""
    states: dict[str, AccountState] = {}
    for topic, events in lifecycle_history(anchor).items():
        for data in events:
            event = TOPIC_EVENTS[topic].model_validate(data)
            state = states.setdefault(event.account_id, new_state(event.account_id))
            if not apply_event(state, event, model, now):
                raise ValueError(f"{data} was not folded in")
    return states


def scored_history(anchor: date, now: datetime, model: HealthModel) -> dict[str, Health]:
    """Each account's health at `now`, by account id."""
    return {a: score(s, now, model) for a, s in folded_history(anchor, now, model).items()}
