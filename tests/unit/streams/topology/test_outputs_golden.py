"""What the worker publishes for a fixed workload stays byte-for-byte what it was.

The demo company (churns and win-backs, renewals decided early and late,
accounts that grow, tickets and NPS answers by role) runs for `DAYS` simulated
days through `AccountProcessor`, as a worker takes it: single-event messages
and batch envelopes, a re-evaluation of every account each morning (ticks, no
events: the day moves on and silence shows), profile upserts now and then, and
a rebalance (`forget`) every few weeks, so rows are read back from the table.

Every health JSON published on `health.scores`, every alert event and every
table row (its sets of seen event ids in order) is hashed; the digests must
equal those in `golden_outputs.json`, computed with the code before the
derivations were made incremental. A change that moves any byte of any output
fails here. When an output is meant to change, regenerate the golden (and say
why in the commit):

    .venv/bin/python -m tests.unit.streams.topology.test_outputs_golden
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import orjson

from models.alerting.event import AlertEvent
from models.health import Health
from models.model_config import load_model
from models.population import Population
from models.validation import Rejection
from sinks.metrics import create_metrics
from streams.demo.company import Company
from streams.demo.crm_import import imported_renewals
from streams.topics import TICKS
from streams.topology.population_share import PopulationShare
from streams.topology.processor import AccountProcessor, RawMessage

GOLDEN = Path(__file__).with_name("golden_outputs.json")
ACCOUNTS = 30
DAYS = 120
START = date(2025, 3, 1)
GROWTH_FROM = START + timedelta(days=80)
PROFILE_EVERY = 25  # days between two rounds of profile upserts
REBALANCE_EVERY = 17  # days between two rebalances


class Digests:
    """Hashes of what was published and stored, per account and in total."""

    def __init__(self) -> None:
        self.per_account: dict[str, Any] = defaultdict(hashlib.sha256)
        self.healths = hashlib.sha256()
        self.alerts = hashlib.sha256()
        self.published = 0
        self.alerted = 0
        self.rejected = 0

    async def publish(
        self, account_id: str, health: tuple[Health, bytes] | None, alerts: list[AlertEvent]
    ) -> None:
        if health is not None:
            value = health[1]
            assert value == health[0].model_dump_json().encode(), "the JSON is the health's"
            self.healths.update(value)
            self.per_account[account_id].update(value)
            self.published += 1
        for alert in alerts:
            self.alerts.update(alert.model_dump_json().encode())
            self.alerted += 1

    async def reject(self, message: RawMessage, rejection: Rejection) -> None:
        self.rejected += 1


class Table(dict[str, bytes]):
    def put(self, account_id: str, partition: int, value: bytes) -> None:
        self[account_id] = value


def _messages(events: dict[str, list[dict[str, Any]]], offset: int) -> list[RawMessage]:
    """Accounts of even number send batch envelopes, the others one event per message."""
    messages = []
    for topic, items in events.items():
        per_account: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in items:
            per_account[item["account_id"]].append(item)
        for account_id, batch in per_account.items():
            key = account_id.encode()
            values = [batch] if int(account_id[-1]) % 2 == 0 else batch
            for value in values:
                messages.append(RawMessage(topic, topic, 0, offset, key, orjson.dumps(value), []))
                offset += 1
    return messages


def _canonical(row: bytes) -> bytes:
    """The row with its sets of seen event ids sorted: a set's order varies between runs."""
    data = orjson.loads(row)
    seen = data["state"]["seen"]
    for day, ids in seen.items():
        seen[day] = sorted(ids)
    return orjson.dumps(data)


def run_workload() -> dict[str, Any]:
    """The digests of everything the workload's processing published and stored."""
    clock = [datetime.combine(START, time(0), UTC)]
    model = load_model(None)
    metrics = create_metrics()
    digests, table = Digests(), Table()
    processor = AccountProcessor(
        model,
        table,
        digests,
        metrics,
        clock=lambda: clock[0],
        population=PopulationShare(Population(), metrics),
    )
    company = Company(
        ACCOUNTS, START, seed=21, winbacks=True, renewal_timing=True, expansions_from=GROWTH_FROM
    )
    ids = orjson.dumps([account.account_id for account in company.accounts])

    async def feed() -> None:
        first = clock[0]
        history = {
            "accounts": company.profiles(first),
            "renewals": imported_renewals(company, first),
        }
        await processor.process(_messages(history, 0))
        for n in range(DAYS):
            day = START + timedelta(days=n)
            # Each morning, every account again without events, before the day's events.
            clock[0] = datetime.combine(day, time(6), UTC)
            await processor.process([RawMessage(TICKS, TICKS, 0, n, None, ids, [])])
            events = company.day(day)
            if n % PROFILE_EVERY == PROFILE_EVERY - 1:
                events["accounts"] = company.profiles(datetime.combine(day, time(7), UTC))
            messages = _messages(events, 1_000 * n)
            half = len(messages) // 2
            clock[0] = datetime.combine(day, time(20), UTC)
            await processor.process(messages[:half])
            clock[0] += timedelta(hours=3)
            await processor.process(messages[half:])
            processor.write_rows()
            if n % REBALANCE_EVERY == REBALANCE_EVERY - 1:
                processor.forget()
        processor.write_rows()

    asyncio.run(feed())
    rows = hashlib.sha256()
    for account_id in sorted(table):
        rows.update(account_id.encode() + b"\0" + _canonical(table[account_id]))
    return {
        "published": digests.published,
        "alerted": digests.alerted,
        "rejected": digests.rejected,
        "healths": digests.healths.hexdigest(),
        "alerts": digests.alerts.hexdigest(),
        "rows": rows.hexdigest(),
        "per_account": {
            account_id: digest.hexdigest()[:16]
            for account_id, digest in sorted(digests.per_account.items())
        },
    }


def test_a_fixed_workload_publishes_and_stores_exactly_the_golden_outputs() -> None:
    golden = orjson.loads(GOLDEN.read_bytes())
    outputs = run_workload()
    assert outputs["per_account"] == golden["per_account"], "accounts whose healths differ"
    assert outputs == golden


if __name__ == "__main__":
    GOLDEN.write_bytes(orjson.dumps(run_workload(), option=orjson.OPT_INDENT_2) + b"\n")
    print(f"wrote {GOLDEN}")
