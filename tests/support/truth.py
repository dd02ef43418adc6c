"""Ground truth for the fault tests: input traffic, the state it must produce, and reading it back.

The observable is the per-account state the workers keep durable in the table's
changelog topic (what a restarted or new worker recovers), compared with the
state folded directly from the produced events by the same pure `apply_event`.
Below the state's caps that state is independent of event order and of
duplicates, so it is an exact function of the *set* of distinct valid events:
a lost event shows as a missing user, day or event id; nothing can be counted
twice because every collection is keyed. Duplicates are counted by the
`healthscore_events_total{outcome}` metric instead (see `events_total`).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from models.model_config import HealthModel
from models.state import AccountState, apply_event, new_state
from models.validation import parse_message
from streams.topology.account_entry import AccountEntry

Message = tuple[bytes, bytes]


@dataclass
class Traffic:
    """Messages per topic (key, value), in produce order."""

    by_topic: dict[str, list[Message]] = field(default_factory=dict)

    def add(self, topic: str, event: dict[str, Any]) -> None:
        message = (str(event["account_id"]).encode(), orjson.dumps(event))
        self.by_topic.setdefault(topic, []).append(message)

    def count(self) -> int:
        return sum(len(messages) for messages in self.by_topic.values())

    def chunks(self, parts: int) -> list[Traffic]:
        """The same messages split into `parts` slices, each keeping every topic's order."""
        out = [Traffic() for _ in range(parts)]
        for topic, messages in self.by_topic.items():
            size = -(-len(messages) // parts)
            for index in range(parts):
                piece = messages[index * size : (index + 1) * size]
                if piece:
                    out[index].by_topic[topic] = piece
        return out


def _at(now: datetime, days: float) -> str:
    return (now - timedelta(days=days)).isoformat()


def workload(
    tag: str,
    accounts: int,
    logins_per_account: int,
    *,
    sick_every: int = 0,
    seed: int = 5,
    now: datetime | None = None,
) -> Traffic:
    """Profiles and logins for `accounts` accounts, some repeated as producers retry.

    Every `sick_every`-th account (if > 0) gets only stale logins and urgent open
    tickets, which makes it critical: with a `pending_for: 0` model it raises a
    `band_entered` alert at once.
    """
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    traffic = Traffic()
    for n in range(accounts):
        account = f"{tag}-{n:05d}"
        traffic.add(
            "accounts",
            {
                "event_id": f"{account}-p",
                "account_id": account,
                "occurred_at": _at(now, 2),
                "name": f"{account} Inc",
                "segment": "enterprise",
                "arr": 300_000,
            },
        )
        sick = sick_every > 0 and n % sick_every == 0
        for i in range(logins_per_account):
            event = {
                "event_id": f"{account}-l{i}",
                "account_id": account,
                "occurred_at": _at(now, 50 + i % 5 if sick else rng.uniform(0, 20)),
                "user_id": f"u{rng.randrange(12)}",
                "feature": rng.choice(("reports", "api", "sso")),
            }
            traffic.add("logins", event)
            if rng.random() < 0.1:  # a producer retry
                traffic.add("logins", event)
        if sick:
            for i in range(3):
                traffic.add(
                    "tickets",
                    {
                        "event_id": f"{account}-t{i}",
                        "account_id": account,
                        "occurred_at": _at(now, 9),
                        "ticket_id": f"T{i}",
                        "status": "opened",
                        "priority": "urgent",
                    },
                )
    return traffic


def expected_states(
    traffics: Iterable[Traffic], model: HealthModel, now: datetime | None = None
) -> dict[str, AccountState]:
    """The state every account must end in: the valid events folded by the workers' own code."""
    now = now or datetime.now(UTC)
    max_age = timedelta(days=model.longest_window_days)
    states: dict[str, AccountState] = {}
    for traffic in traffics:
        for topic, messages in traffic.by_topic.items():
            for key, value in messages:
                for event in parse_message(topic, key, value, now, max_age).events:
                    state = states.setdefault(event.account_id, new_state(event.account_id))
                    apply_event(state, event, model, now)
    return states


def comparable(state: AccountState) -> dict[str, Any]:
    """A state as data, without the bookkeeping that depends on when it was last pruned."""
    data = state.model_dump(mode="json", exclude={"pruned_day"})
    data["seen"] = {day: sorted(ids) for day, ids in state.seen.items()}
    return data


async def changelog_rows(
    bootstrap: str, topic: str, partitions: int
) -> dict[str, dict[int, bytes | None]]:
    """The latest table row of each account in each changelog partition that has
    one, read to the current end. An account whose state split has two."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        rows: dict[str, dict[int, bytes | None]] = {}
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            batches = await consumer.getmany(timeout_ms=500)
            for tp, records in batches.items():
                for record in records:
                    rows.setdefault(orjson.loads(record.key), {})[tp.partition] = record.value
    finally:
        await consumer.stop()
    return rows


async def read_changelog(bootstrap: str, topic: str, partitions: int) -> dict[str, AccountState]:
    """The latest table row per account in the changelog, read to its current end
    (of a split account, the row of its highest partition)."""
    rows = await changelog_rows(bootstrap, topic, partitions)
    latest = {account: by_partition[max(by_partition)] for account, by_partition in rows.items()}
    return {
        account: AccountEntry.load(value, account).state
        for account, value in latest.items()
        if value is not None
    }


async def wait_for_states(
    bootstrap: str,
    env: dict[str, str],
    expected: dict[str, AccountState],
    within: float = 90.0,
) -> dict[str, AccountState]:
    """Poll the workers' changelog until it holds `expected` exactly; return what was last read."""
    topic = f"{env['HS_APP_ID']}-account-state-changelog"
    want = {account: comparable(state) for account, state in expected.items()}
    deadline = time.monotonic() + within
    while True:
        found = await read_changelog(bootstrap, topic, int(env["HS_PARTITIONS"]))
        got = {account: comparable(state) for account, state in found.items()}
        if got == want or time.monotonic() > deadline:
            return found
        await asyncio.sleep(1.0)


def state_differences(
    found: dict[str, AccountState], expected: dict[str, AccountState], show: int = 5
) -> list[str]:
    """Human-readable differences, for the assertion message."""
    problems = []
    for account in sorted(set(found) | set(expected)):
        if account not in found:
            problems.append(f"{account}: missing")
        elif account not in expected:
            problems.append(f"{account}: unexpected")
        elif comparable(found[account]) != comparable(expected[account]):
            a, b = comparable(found[account]), comparable(expected[account])
            keys = [k for k in b if a.get(k) != b.get(k)]
            problems.append(f"{account}: differs in {keys}")
    return problems[:show] + ([f"... {len(problems)} in all"] if len(problems) > show else [])


async def events_total(url: str) -> dict[tuple[str, str], float]:
    """healthscore_events_total per (topic, outcome) of one worker."""
    async with httpx.AsyncClient(timeout=10) as client:
        text = (await client.get(f"{url}/metrics")).text
    totals: dict[tuple[str, str], float] = {}
    for line in text.splitlines():
        if not line.startswith("healthscore_events_total{"):
            continue
        series, value = line.rsplit(" ", 1)
        labels = dict(part.split("=", 1) for part in series[series.index("{") + 1 : -1].split(","))
        key = (labels["topic"].strip('"'), labels["outcome"].strip('"'))
        totals[key] = float(value)
    return totals


async def wait_all_processed(url: str, messages: int, within: float = 60.0) -> None:
    """Until one worker has counted an outcome for `messages` events (one per message)."""
    deadline = time.monotonic() + within
    while sum((await events_total(url)).values()) < messages:
        assert time.monotonic() < deadline, await events_total(url)
        await asyncio.sleep(0.1)
