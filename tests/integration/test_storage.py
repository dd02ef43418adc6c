"""The storage agent's batch writes against the real PostgreSQL, in a database of their own.

Records stand in for Faust events (the agent reads only `event.message`);
dead letters are collected instead of sent. The path through Kafka is in
test_storage_dead_letters.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from models.health import Band, Health
from models.validation import Rejection, RejectReason
from sinks.metrics import create_metrics
from sinks.postgres import migration_files
from streams.topology.storage import Database, HealthStorage
from tests.support.servers import scratch_database

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
async def scratch_dsn(pg_dsn: str) -> AsyncIterator[str]:
    """A database of this test's own: tests here change its schema."""
    with contextlib.ExitStack() as stack:
        dsn = await asyncio.to_thread(stack.enter_context, scratch_database(pg_dsn))
        try:
            yield dsn
        finally:
            await asyncio.to_thread(stack.close)


@dataclass
class ConsumedMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class ConsumedEvent:
    message: ConsumedMessage


class CollectedDeadLetters:
    def __init__(self) -> None:
        self.sent: list[tuple[Any, Rejection]] = []

    async def send(self, message: Any, rejection: Rejection) -> None:
        self.sent.append((message, rejection))


def health(account: str, **fields: Any) -> Health:
    values: dict[str, Any] = {
        "account_id": account,
        "score": 80.0,
        "band": Band.HEALTHY,
        "components": {"engagement": 80.0, "support": None},
        "drivers": [],
        "confidence": 0.5,
        "updated_at": NOW,
        "model_version": "test",
        "name": f"{account} Inc",
        **fields,
    }
    return Health.model_validate(values)


def consumed(values: list[bytes | None]) -> list[ConsumedEvent]:
    return [
        ConsumedEvent(ConsumedMessage("t.health.scores", 2, 100 + n, b"k", value))
        for n, value in enumerate(values)
    ]


async def storage_for(dsn: str) -> tuple[HealthStorage, CollectedDeadLetters, Database]:
    database = Database(dsn)
    dead_letters = CollectedDeadLetters()
    storage = HealthStorage(database, dead_letters, create_metrics())
    await database.wait_for_pool()
    return storage, dead_letters, database


async def fetch(dsn: str, sql: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(dsn)
    try:
        return list(await connection.fetch(sql))
    finally:
        await connection.close()


async def test_rows_postgres_refuses_as_data_are_dead_lettered_and_the_rest_written(
    scratch_dsn: str,
) -> None:
    storage, dead_letters, database = await storage_for(scratch_dsn)
    try:
        # A rule of this database: PostgreSQL refuses such a row (SQLSTATE 23514).
        await fetch(
            scratch_dsn,
            "ALTER TABLE account_health ADD CONSTRAINT no_banned_segment"
            " CHECK (segment IS DISTINCT FROM 'banned')",
        )
        healths = [health(f"a{n}") for n in range(8)]
        healths[2] = health("a2", name="Acme\x00Corp")  # text cannot hold NUL (22021)
        healths[5] = health("a5", segment="banned")
        events = consumed([h.model_dump_json().encode() for h in healths])

        await storage.store(events)

        stored = await fetch(scratch_dsn, "SELECT account_id FROM account_health")
        history = await fetch(scratch_dsn, "SELECT account_id FROM score_history")
        good = {f"a{n}" for n in (0, 1, 3, 4, 6, 7)}
        assert {row["account_id"] for row in stored} == good
        assert {row["account_id"] for row in history} == good
        sent = dead_letters.sent
        assert [(message.offset, rejection.reason) for message, rejection in sent] == [
            (102, RejectReason.UNUSABLE_OUTPUT),
            (105, RejectReason.UNUSABLE_OUTPUT),
        ]
        details = [rejection.detail for _, rejection in dead_letters.sent]
        assert "CharacterNotInRepertoireError 22021" in details[0]
        assert "CheckViolationError 23514" in details[1]
        # The dead letter keeps the record's own bytes.
        assert [m.value for m, _ in sent] == [events[n].message.value for n in (2, 5)]
        written = storage.metrics.registry.get_sample_value(
            "healthscore_pg_rows_written_total", {"table": "score_history"}
        )
        assert written == 6
    finally:
        await database.close()


async def test_records_that_are_not_healths_are_dead_lettered_and_tombstones_skipped(
    scratch_dsn: str,
) -> None:
    storage, dead_letters, database = await storage_for(scratch_dsn)
    try:
        later = health("fine", updated_at=NOW + timedelta(minutes=1))
        values: list[bytes | None] = [
            b"{not json",
            b'{"account_id": "half"}',
            None,  # a tombstone on the compacted topic
            later.model_dump_json().encode(),
        ]
        await storage.store(consumed(values))

        assert [message.offset for message, _ in dead_letters.sent] == [100, 101]
        assert all(r.detail.startswith("not a health: ") for _, r in dead_letters.sent)
        assert "score: Field required" in dead_letters.sent[1][1].detail
        stored = await fetch(scratch_dsn, "SELECT account_id FROM account_health")
        assert [row["account_id"] for row in stored] == ["fine"]
    finally:
        await database.close()


async def history(dsn: str) -> list[asyncpg.Record]:
    return await fetch(
        dsn, "SELECT account_id, evaluation_key, state_version, at, score FROM score_history"
    )


async def test_one_evaluation_stored_again_at_a_later_clock_adds_no_history_row(
    scratch_dsn: str,
) -> None:
    storage, dead_letters, database = await storage_for(scratch_dsn)
    try:
        first = health("acme", state_version=7)
        # What a worker re-reading its input after a crash publishes: the same
        # evaluation, made a minute later.
        again = first.model_copy(update={"updated_at": NOW + timedelta(minutes=1)})
        await storage.store(consumed([first.model_dump_json().encode()]))
        await storage.store(consumed([again.model_dump_json().encode()]))
        rows = await history(scratch_dsn)
        assert [(row["state_version"], row["at"]) for row in rows] == [(7, NOW)]

        # A clock that moved the score is a new evaluation of the same state.
        decayed = health("acme", state_version=7, score=79.9, updated_at=NOW + timedelta(hours=2))
        await storage.store(consumed([decayed.model_dump_json().encode()]))
        assert sorted(row["score"] for row in await history(scratch_dsn)) == [79.9, 80.0]
        current = await fetch(scratch_dsn, "SELECT updated_at FROM account_health")
        assert [row["updated_at"] for row in current] == [NOW + timedelta(hours=2)]
        assert dead_letters.sent == []
    finally:
        await database.close()


async def test_rows_stored_before_evaluation_keys_keep_their_clock_as_key(
    scratch_dsn: str,
) -> None:
    """A deployment with history from before migration 003 keeps every row, and a
    health published then and re-read now is still no second row."""
    migrations = dict(migration_files())
    connection = await asyncpg.connect(scratch_dsn)
    try:
        for name in ("001_health.sql", "002_alerts.sql"):
            await connection.execute(migrations[name])
        await connection.execute(
            "CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz"
            " NOT NULL DEFAULT now());"
            "INSERT INTO schema_migrations (name) VALUES ('001_health.sql'), ('002_alerts.sql')"
        )
        old = [NOW + timedelta(microseconds=60), NOW + timedelta(hours=1)]
        await connection.executemany(
            "INSERT INTO score_history (account_id, at, score, band, confidence, components,"
            " drivers, model_version) VALUES ('old', $1, 55, 'at_risk', 1, '{}', '[]', 'v1')",
            [(at,) for at in old],
        )
    finally:
        await connection.close()

    storage, dead_letters, database = await storage_for(scratch_dsn)
    try:
        rows = await history(scratch_dsn)
        assert sorted((row["evaluation_key"], row["at"]) for row in rows) == [
            ("at:2026-06-01T12:00:00.000060", old[0]),
            ("at:2026-06-01T13:00:00.000000", old[1]),
        ]
        replayed = health("old", score=55.0, updated_at=old[0])  # no state_version: published then
        fresh = health("old", state_version=3, updated_at=NOW + timedelta(hours=2))
        await storage.store(consumed([replayed.model_dump_json().encode()]))
        await storage.store(consumed([fresh.model_dump_json().encode()]))
        assert len(await history(scratch_dsn)) == 3
        assert dead_letters.sent == []
    finally:
        await database.close()
