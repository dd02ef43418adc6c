"""`score_history` read back for the fault tests: one row per evaluation, never one per replay.

A worker that re-reads input after a crash evaluates it again at a later
clock. Each row is matched to the health it was written from (its account,
and `at` = that health's `updated_at`, as published on health.scores); two
rows whose healths are equal in everything but `updated_at` (the state they
were scored from, its version, profile and last event, and the result) are
one evaluation stored twice. The check uses the published healths, not the
table's key, so it holds the key to account.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from models.health import Health
from models.state import AccountState


async def history_rows(dsn: str, accounts: set[str]) -> list[dict[str, Any]]:
    """Every score_history row of `accounts`, all columns."""
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT * FROM score_history WHERE account_id = ANY($1::text[])", sorted(accounts)
        )
    finally:
        await connection.close()
    return [dict(row) for row in rows]


async def wait_for_history(
    dsn: str, accounts: set[str], within: float = 60.0
) -> list[dict[str, Any]]:
    """The rows of `accounts` once each of them has at least one (or after `within` s)."""
    deadline = time.monotonic() + within
    while True:
        rows = await history_rows(dsn, accounts)
        if {row["account_id"] for row in rows} >= accounts or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(0.5)


async def published_healths(bootstrap: str, topic: str, partitions: int) -> list[Health]:
    """Every health on `topic` (health.scores), read to its current end."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    healths: list[Health] = []
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                healths.extend(Health.model_validate_json(r.value) for r in records if r.value)
    finally:
        await consumer.stop()
    return healths


def repeated_evaluations(
    rows: list[dict[str, Any]], healths: list[Health], show: int = 5
) -> list[str]:
    """Rows written from one evaluation more than once, for the assertion message."""
    written_from: dict[tuple[str, datetime], str] = {
        (h.account_id, h.updated_at): h.model_dump_json(exclude={"updated_at"}) for h in healths
    }
    problems = [
        f"{row['account_id']}: row at {row['at'].isoformat()} matches no published health"
        for row in rows
        if (row["account_id"], row["at"]) not in written_from
    ]
    counts = Counter(
        (row["account_id"], written_from[(row["account_id"], row["at"])])
        for row in rows
        if (row["account_id"], row["at"]) in written_from
    )
    problems += sorted(
        f"{account}: {times} rows of one evaluation"
        for (account, _), times in counts.items()
        if times > 1
    )
    more = [f"... {len(problems)} in all"] if len(problems) > show else []
    return problems[:show] + more


def versions_beyond_truth(
    rows: list[dict[str, Any]], expected: dict[str, AccountState], show: int = 5
) -> list[str]:
    """Rows scored from a state that counted more events than the account has distinct ones."""
    beyond = sorted(
        f"{row['account_id']}: state_version {row['state_version']}, "
        f"{expected[row['account_id']].state_version} distinct events"
        for row in rows
        if row["state_version"] is None
        or row["state_version"] > expected[row["account_id"]].state_version
    )
    return beyond[:show] + ([f"... {len(beyond)} in all"] if len(beyond) > show else [])
