"""A small CX history with every figure computed by hand: unit tests, the API and the views.

Four accounts, events dated back from `now` (windows: NPS 180 days, support 90,
active users 30, all ending today):

- alpha (enterprise, emea, analytics, dana). NPS: r1 finance_executive 10, r2
  finance_executive 6, r3 end_user 9, r4 (no role) 7, r5 end_user 2 then 8 (its
  latest: a passive), r6 it_leader 9 then 4 without a role (a detractor, still an
  IT leader). Tickets: t1 opened 10 days ago, first reply after 4 h, resolved
  with CSAT 5 and effort 6; t2 opened 3 days ago, reply after 2 h, CSAT 2, effort
  3; t3 of 100 days ago (out of the support window: counts nowhere). Logins: u1
  department_manager on 3 days, u2 (no role) on 1, u3 end_user 40 days ago (out
  of the activity window).
- beta (smb, amer, payments, lee). NPS: r1 business_executive 9, r2 end_user 0,
  r3 end_user 10. Ticket t1: reply after 10 h, CSAT 4 without effort. Logins: u1
  end_user, u2 technical_expert, a day each.
- gamma (enterprise, apac, analytics, no owner). NPS: r1 department_manager 8.
  Ticket t1 opened 2 days ago, not answered yet. Logins: u1 it_leader, a day.
- delta (smb) churned 10 days ago: its promoter, CSAT and logins count nowhere.

Counted by hand (alpha + beta + gamma):

| persona | promoters | passives | detractors | NPS | active users |
|---|---:|---:|---:|---:|---:|
| finance_executive | 1 | 0 | 1 | 0 | 0 |
| business_executive | 1 | 0 | 0 | 100 | 0 |
| department_manager | 0 | 1 | 0 | 0 | 1 |
| end_user | 2 | 1 | 1 | 25 | 1 |
| it_leader | 0 | 0 | 1 | -100 | 1 |
| technical_expert | 0 | 0 | 0 | - | 1 |
| no_role | 0 | 1 | 0 | 0 | 1 |
| all | 4 | 3 | 3 | 10 | 5 |

CSAT: 3 answers (5, 2, 4), 2 satisfied: 2/3, mean 11/3. Effort: 6 and 3, mean
4.5. First reply: 4 + 2 + 10 h over 3 tickets, mean 16/3 h. Active users 5 on
4 + 2 + 1 = 7 user-days: DAU 7/30, DAU/MAU 7/150.

Per segment: enterprise (alpha, gamma) 7 answers, 2 promoters, 3 passives, 2
detractors: NPS 0; smb (beta) 3 answers, NPS 100/3.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from models import scoring
from models.events import TOPIC_EVENTS
from models.health import Health
from models.model_config import HealthModel
from models.state import AccountState, apply_events, new_state

Events = dict[str, list[dict[str, Any]]]

PROFILES = {
    "alpha": {"segment": "enterprise", "region": "emea", "line_of_business": "analytics"},
    "beta": {"segment": "smb", "region": "amer", "line_of_business": "payments"},
    "gamma": {"segment": "enterprise", "region": "apac", "line_of_business": "analytics"},
    "delta": {"segment": "smb", "region": "amer", "line_of_business": "payments"},
}
OWNERS = {"alpha": "dana", "beta": "lee", "delta": "lee"}
NORMAL = {"priority": "normal"}


def history(now: datetime, prefix: str = "") -> Events:
    """Every event of the four accounts, per topic; account ids start with `prefix`."""
    out: Events = {"accounts": [], "nps": [], "tickets": [], "logins": [], "renewals": []}

    def add(topic: str, account: str, at: datetime, **fields: Any) -> None:
        out[topic].append(
            {
                "event_id": uuid.uuid4().hex,
                "account_id": prefix + account,
                "occurred_at": at.isoformat(),
                **fields,
            }
        )

    def ago(days: float, hours: float = 0) -> datetime:
        return now - timedelta(days=days, hours=hours)

    for account, dimensions in PROFILES.items():
        owner = {"csm_owner": OWNERS[account]} if account in OWNERS else {}
        add("accounts", account, ago(120), name=account.title(), **dimensions, **owner)

    def answer(account: str, respondent: str, score: int, days: float, role: str | None) -> None:
        fields = {"role": role} if role is not None else {}
        add("nps", account, ago(days), respondent_id=respondent, score=score, **fields)

    for respondent, score, days, role in (
        ("r1", 10, 20, "finance_executive"),
        ("r2", 6, 15, "finance_executive"),
        ("r3", 9, 12, "end_user"),
        ("r4", 7, 8, None),
        ("r5", 2, 40, "end_user"),
        ("r5", 8, 5, "end_user"),
        ("r6", 9, 20, "it_leader"),
        ("r6", 4, 2, None),
    ):
        answer("alpha", respondent, score, days, role)
    for respondent, score, role in (
        ("r1", 9, "business_executive"),
        ("r2", 0, "end_user"),
        ("r3", 10, "end_user"),
    ):
        answer("beta", respondent, score, 6, role)
    answer("gamma", "r1", 8, 9, "department_manager")
    answer("delta", "r1", 10, 30, "finance_executive")

    def ticket(account: str, ticket_id: str, opened: float, reply_hours: float | None) -> None:
        add("tickets", account, ago(opened), ticket_id=ticket_id, status="opened", **NORMAL)
        if reply_hours is not None:
            at = ago(opened) + timedelta(hours=reply_hours)
            add("tickets", account, at, ticket_id=ticket_id, status="first_response", **NORMAL)

    def resolved(account: str, ticket_id: str, days: float, **answers: int) -> None:
        add(
            "tickets",
            account,
            ago(days),
            ticket_id=ticket_id,
            status="resolved",
            **NORMAL,
            **answers,
        )

    ticket("alpha", "t1", 10, 4)
    resolved("alpha", "t1", 9, csat=5, effort=6)
    ticket("alpha", "t2", 3, 2)
    resolved("alpha", "t2", 2, csat=2, effort=3)
    ticket("alpha", "t3", 100, 1)
    resolved("alpha", "t3", 99, csat=1, effort=1)
    ticket("beta", "t1", 2, 10)
    resolved("beta", "t1", 1, csat=4)
    ticket("gamma", "t1", 2, None)
    ticket("delta", "t1", 40, 1)
    resolved("delta", "t1", 39, csat=5, effort=7)

    def login(account: str, user: str, days: float, role: str | None) -> None:
        fields = {"role": role} if role is not None else {}
        add("logins", account, ago(days), user_id=user, **fields)

    for days in (1, 2, 3):
        login("alpha", "u1", days, "department_manager")
    login("alpha", "u2", 4, None)
    login("alpha", "u3", 40, "end_user")
    login("beta", "u1", 1, "end_user")
    login("beta", "u2", 2, "technical_expert")
    login("gamma", "u1", 2, "it_leader")
    login("delta", "u1", 12, "end_user")

    churned_on: date = ago(10).date()
    renewal = {"contract_id": "c1", "status": "churned", "renewal_date": churned_on.isoformat()}
    add("renewals", "delta", ago(10), **renewal, arr=12_000.0)
    return out


def healths(now: datetime, model: HealthModel) -> list[Health]:
    """Each account of the history scored at `now`, its events folded topic by topic."""
    states: dict[str, AccountState] = defaultdict(lambda: new_state(""))
    for topic, events in history(now).items():
        for raw in events:
            event = TOPIC_EVENTS[topic].model_validate(raw)
            state = states[event.account_id]
            state.account_id = event.account_id
            apply_events(state, [event], model, now)
    return [scoring.score(state, now, model) for state in states.values()]


def _persona(
    promoters: int, passives: int, detractors: int, nps: float | None, active_users: int
) -> dict[str, Any]:
    return {
        "answers": promoters + passives + detractors,
        "promoters": promoters,
        "passives": passives,
        "detractors": detractors,
        "nps": nps,
        "active_users": active_users,
    }


EXPECTED_PERSONAS = {
    "finance_executive": _persona(1, 0, 1, 0.0, 0),
    "business_executive": _persona(1, 0, 0, 100.0, 0),
    "department_manager": _persona(0, 1, 0, 0.0, 1),
    "end_user": _persona(2, 1, 1, 25.0, 1),
    "it_leader": _persona(0, 0, 1, -100.0, 1),
    "technical_expert": _persona(0, 0, 0, None, 1),
    "no_role": _persona(0, 1, 0, 0.0, 1),
}

EXPECTED_TOTAL: dict[str, Any] = {
    "accounts": 3,
    "nps": {"answers": 10, "promoters": 4, "passives": 3, "detractors": 3, "nps": 10.0},
    "personas": EXPECTED_PERSONAS,
    "csat": {"answers": 3, "satisfied": 2, "csat": 2 / 3, "mean": 11 / 3},
    "effort": {"answers": 2, "mean": 4.5},
    "first_reply": {"tickets": 3, "mean_hours": 16 / 3},
    "activity": {
        "active_users": 5,
        "user_days": 7,
        "daily_active_users": 7 / 30,
        "dau_mau": 7 / 150,
    },
}

# Per segment, the NPS over every answer and the accounts counted.
EXPECTED_SEGMENTS: dict[str, dict[str, Any]] = {
    "enterprise": {
        "accounts": 2,
        "nps": {"answers": 7, "promoters": 2, "passives": 3, "detractors": 2, "nps": 0.0},
    },
    "smb": {
        "accounts": 1,
        "nps": {"answers": 3, "promoters": 2, "passives": 0, "detractors": 1, "nps": 100 / 3},
    },
}
# Per owner: gamma has none.
EXPECTED_OWNERS = {"dana": 1, "lee": 1, "unassigned": 1}
