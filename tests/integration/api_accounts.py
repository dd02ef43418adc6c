"""The accounts test_api seeds: healthy and unhealthy event sets, and what was seeded."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Seeded:
    segment: str
    owners: dict[str, str]
    accounts: list[str]
    unhealthy: list[str]
    arr: dict[str, float | None]


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def event(account: str, occurred_at: str | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4().hex,
        "account_id": account,
        "occurred_at": occurred_at or ago(hours=1),
        **fields,
    }


def in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def healthy(account: str) -> dict[str, list[dict[str, Any]]]:
    return {
        "logins": [
            event(account, ago(hours=h), user_id=f"u{h % 5}", feature=f"f{h % 4}")
            for h in range(1, 48, 2)
        ],
        "tickets": [
            event(account, ticket_id="T1", status="opened", priority="normal"),
            event(account, ticket_id="T1", status="resolved", priority="normal", csat=5),
        ],
        "nps": [event(account, respondent_id="r1", score=10, role="business_executive")],
        "renewals": [
            event(account, contract_id="C1", status="upcoming", renewal_date=in_days(200), arr=1.0)
        ],
    }


def unhealthy(account: str) -> dict[str, list[dict[str, Any]]]:
    return {
        "logins": [event(account, ago(days=60), user_id="u1")],
        "tickets": [
            event(account, ago(days=20), ticket_id=f"T{n}", status="opened", priority="urgent")
            for n in range(4)
        ],
        "nps": [
            event(account, ago(days=3), respondent_id=f"d{n}", score=1, role="finance_executive")
            for n in range(3)
        ],
        "renewals": [
            event(account, contract_id="C1", status="upcoming", renewal_date=in_days(25), arr=1.0)
        ],
    }
