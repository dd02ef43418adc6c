"""A realistic mix of input events over many accounts, for the benchmark."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

ROLES = (
    "finance_executive",
    "business_executive",
    "department_manager",
    "end_user",
    "it_leader",
    "technical_expert",
)
FEATURES = ("reports", "dashboards", "alerts", "exports", "api", "sso", "workflows")
# Share of events per topic in a typical B2B product's stream.
MIX = (("logins", 0.86), ("tickets", 0.1), ("nps", 0.03), ("renewals", 0.01))


def events(
    count: int, accounts: int, seed: int = 11, days: int = 30
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(topic, event) pairs: `count` events spread over `accounts` and the last `days` days."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    topics = [t for t, _ in MIX]
    weights = [w for _, w in MIX]
    for n in range(count):
        account = f"bench-{rng.randrange(accounts):06d}"
        at = (now - timedelta(seconds=rng.randrange(days * 86400))).isoformat()
        topic = rng.choices(topics, weights)[0]
        base = {"event_id": f"e{seed}-{n}", "account_id": account, "occurred_at": at}
        if topic == "logins":
            base |= {
                "user_id": f"u{rng.randrange(40)}",
                "role": rng.choice(ROLES),
                "feature": rng.choice(FEATURES),
            }
        elif topic == "tickets":
            base |= {
                "ticket_id": f"t{rng.randrange(200)}",
                "status": rng.choice(("opened", "first_response", "resolved")),
                "priority": rng.choice(("low", "normal", "high", "urgent")),
            }
        elif topic == "nps":
            base |= {
                "respondent_id": f"u{rng.randrange(40)}",
                "score": rng.randrange(11),
                "role": rng.choice(ROLES),
            }
        else:
            base |= {
                "contract_id": f"c{rng.randrange(2)}",
                "status": "upcoming",
                "renewal_date": (now + timedelta(days=rng.randrange(365))).date().isoformat(),
                "arr": float(rng.randrange(5_000, 500_000)),
            }
        yield topic, base


def single_messages(
    count: int, accounts: int, seed: int = 11
) -> Iterator[tuple[str, bytes, bytes]]:
    for topic, event in events(count, accounts, seed):
        yield topic, event["account_id"].encode(), orjson.dumps(event)


def batch_messages(
    count: int, accounts: int, batch: int = 100, seed: int = 11
) -> Iterator[tuple[str, bytes, bytes]]:
    """Batch envelopes: up to `batch` events of one account and topic per message."""
    pending: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for topic, event in events(count, accounts, seed):
        key = (topic, event["account_id"])
        group = pending.setdefault(key, [])
        group.append(event)
        if len(group) >= batch:
            yield topic, key[1].encode(), orjson.dumps(group)
            del pending[key]
    for (topic, account), group in pending.items():
        yield topic, account.encode(), orjson.dumps(group)
