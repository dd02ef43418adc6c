"""The events test_observability sends: healthy and unhealthy accounts, and malformed input."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from aiokafka.partitioner import murmur2

from tests.support.kafka_io import produce
from tests.support.worker import WorkerProcess


@dataclass(frozen=True)
class Traffic:
    accounts: list[str]
    unhealthy: list[str]
    alerted: list[str]
    started: datetime
    # Accounts that churned (one came back, one churned again soon after): the churn
    # panels need some.
    lifecycle: dict[str, str]
    # Healthy accounts whose active users doubled: expansion candidates, for the growth row.
    growing: list[str]


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def event(account: str, **fields: Any) -> dict[str, Any]:
    occurred = fields.pop("occurred_at", ago(hours=1))
    return {
        "event_id": uuid.uuid4().hex,
        "account_id": account,
        "occurred_at": occurred,
        **fields,
    }


def profile(account: str, i: int) -> dict[str, Any]:
    return event(
        account,
        occurred_at=ago(days=1),
        name=f"Account {i:02d}",
        arr=float(10_000 * (i + 1)),
        segment=("enterprise", "mid_market", "smb")[i % 3],
        region=("emea", "amer", "apac")[(i // 2) % 3],
        line_of_business=("analytics", "payments")[i % 2],
        csm_owner=("dana", "lee", "sam", "kim")[i % 4],
        renewal_date=(date.today() + timedelta(days=20 + 3 * i)).isoformat(),
        lifecycle_stage="adoption",
    )


def upcoming_renewal(account: str, i: int, in_days: int) -> dict[str, Any]:
    """The account's contract, renewing `in_days` from today, with its ARR."""
    return event(
        account,
        contract_id=f"C{i}",
        status="upcoming",
        renewal_date=(date.today() + timedelta(days=in_days)).isoformat(),
        arr=float(10_000 * (i + 1)),
    )


# The six roles, and none: the customer-experience panels show each (healthy accounts'
# users and respondents take them in turn).
ROLES = (
    "business_executive",
    "finance_executive",
    "department_manager",
    "end_user",
    "it_leader",
    "technical_expert",
    None,
)


def with_role(role: str | None, **fields: Any) -> dict[str, Any]:
    return {**fields, "role": role} if role is not None else fields


def healthy_events(account: str, i: int) -> dict[str, list[dict[str, Any]]]:
    ticket = {"ticket_id": f"T{i}", "priority": "normal"}
    return {
        "logins": [
            event(
                account,
                occurred_at=ago(hours=h),
                **with_role(ROLES[(i + h % 6) % len(ROLES)], user_id=f"u{h % 6}"),
            )
            for h in range(1, 25, 2)
        ],
        "tickets": [
            event(account, occurred_at=ago(hours=5), status="opened", **ticket),
            event(account, occurred_at=ago(hours=3), status="first_response", **ticket),
            event(account, status="resolved", csat=5, effort=6, **ticket),
        ],
        "nps": [
            event(account, **with_role(ROLES[i % len(ROLES)], respondent_id=f"r{i}", score=10))
        ],
        "renewals": [upcoming_renewal(account, i, in_days=200)],
    }


def growth_events(account: str) -> dict[str, list[dict[str, Any]]]:
    """One of a healthy account's three active users active 18 days ago too (active users
    up from 1 to 3): with its executive promoter and its renewal within 120 days, an
    expansion candidate."""
    return {"logins": [event(account, occurred_at=ago(days=18), user_id="u1", role="end_user")]}


def unhealthy_events(account: str, i: int) -> dict[str, list[dict[str, Any]]]:
    return {
        "logins": [event(account, occurred_at=ago(days=60), user_id="u1")],
        "tickets": [
            event(
                account,
                occurred_at=ago(days=20),
                ticket_id=f"U{i}-{n}",
                status="opened",
                priority="urgent",
            )
            for n in range(4)
        ],
        "nps": [
            event(
                account,
                occurred_at=ago(days=3),
                respondent_id=f"d{n}",
                score=1,
                role="business_executive",
            )
            for n in range(3)
        ],
        "renewals": [upcoming_renewal(account, i, in_days=25)],
    }


def outcome(account: str, contract: str, status: str, days_ago: float) -> dict[str, Any]:
    return event(
        account,
        occurred_at=ago(days=days_ago),
        contract_id=contract,
        status=status,
        renewal_date=(date.today() - timedelta(days=int(days_ago))).isoformat(),
        arr=25_000.0,
    )


# Per lifecycle status an account ends in, its contract outcomes: (contract, status, days ago).
LIFECYCLES = {
    "churned": [("C1", "churned", 40)],
    "resurrected": [("C1", "churned", 30), ("C2", "renewed", 10)],
    # Came back, then churned again within 90 days: a re-churn.
    "rechurned": [("C1", "churned", 60), ("C2", "expanded", 50), ("C2", "churned", 5)],
}


def lifecycle_events(account: str, ends: str) -> dict[str, list[dict[str, Any]]]:
    return {"renewals": [outcome(account, *step) for step in LIFECYCLES[ends]]}


def malformed(account: str) -> dict[str, list[bytes]]:
    return {
        "logins": [b'{"event_id": "broken", "account_id": '],
        "nps": [orjson.dumps(event(account, respondent_id="r", score="ten"))],
        "tickets": [
            orjson.dumps(
                event(
                    account,
                    occurred_at=ago(days=-3),
                    ticket_id="T",
                    status="opened",
                    priority="low",
                )
            )
        ],
    }


async def send_odd_login(bootstrap: str, worker: WorkerProcess, account: str) -> None:
    partition, message = odd_login(account, int(worker.env["HS_PARTITIONS"]))
    topic = worker.env["HS_TOPIC_PREFIX"] + "logins"
    await produce(bootstrap, topic, [message], partition=partition)


def odd_login(account: str, partitions: int) -> tuple[int, tuple[bytes, bytes]]:
    """A login as producers in the wild send it: with a field the contract does not
    name, on another partition than its key's murmur2 one; (partition, message)."""
    key = account.encode()
    home = (murmur2(key) & 0x7FFFFFFF) % partitions
    value = orjson.dumps(event(account, user_id="u-odd", plan="enterprise"))
    return (home + 1) % partitions, (key, value)
