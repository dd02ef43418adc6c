"""A real worker's storage agent given records it cannot use: dead-lettered, and it goes on."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest

from models.health import Band, Health
from tests.support.kafka_io import produce, read_until
from tests.support.worker import new_worker, worker_env

pytestmark = pytest.mark.integration


def health_json(account: str, name: str) -> bytes:
    health = Health(
        account_id=account,
        score=75.0,
        band=Band.HEALTHY,
        components={"engagement": 75.0},
        drivers=[],
        confidence=0.4,
        updated_at=datetime.now(UTC),
        model_version="test",
        state_version=4,
        name=name,
    )
    return health.model_dump_json().encode()


async def stored_accounts(dsn: str, accounts: list[str]) -> set[str]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT account_id FROM account_health WHERE account_id = ANY($1::text[])", accounts
        )
    finally:
        await connection.close()
    return {row["account_id"] for row in rows}


def dlq_count(metrics: str) -> float:
    for line in metrics.splitlines():
        if line.startswith("healthscore_dlq_messages_total{") and (
            'topic="health.scores"' in line and 'reason="unusable_output"' in line
        ):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_unusable_health_records_go_to_the_dlq_and_later_healths_still_reach_postgres(
    kafka_bootstrap: str, pg_dsn: str, tmp_path: Path
) -> None:
    env = worker_env(kafka_bootstrap, pg_dsn, tmp_path)
    prefix = env["HS_TOPIC_PREFIX"]
    scores, dlq = prefix + "health.scores", prefix + "health.dlq"
    tag = uuid.uuid4().hex[:8]
    good = [f"{tag}-good{n}" for n in range(4)]
    bad_key = f"{tag}-nul".encode()
    worker = new_worker(env, tmp_path)
    try:
        await asyncio.to_thread(worker.start)
        pid = worker.pid
        unusable = [
            (f"{tag}-json".encode(), b"{not json"),
            (f"{tag}-shape".encode(), b'{"account_id": "x", "score": "high"}'),
            # Valid as a health, but PostgreSQL refuses a NUL byte in a text column.
            (bad_key, health_json(bad_key.decode(), "Acme\x00Corp")),
        ]
        headers = [("traceparent", b"00-abc-def-01")]
        await produce(kafka_bootstrap, scores, unusable, headers=headers)
        await produce(
            kafka_bootstrap, scores, [(a.encode(), health_json(a, f"{a} Inc")) for a in good]
        )

        letters = await read_until(kafka_bootstrap, dlq, lambda r: len(r) >= 3, within=60)
        published = await read_until(kafka_bootstrap, scores, lambda r: len(r) >= 7)
        where = {(r.key, r.value): (r.partition, r.offset) for r in published}
        assert sorted((r.key, r.value) for r in letters) == sorted(unusable)
        for letter in letters:
            got = dict(letter.headers)
            partition, offset = where[(letter.key, letter.value)]
            assert letter.headers[0] == headers[0]  # the record's own headers first
            assert got["hs.error.reason"] == b"unusable_output"
            assert got["hs.source.topic"] == scores.encode()
            assert got["hs.source.partition"] == str(partition).encode()
            assert got["hs.source.offset"] == str(offset).encode()
        details = {letter.key: dict(letter.headers)["hs.error.detail"] for letter in letters}
        assert details[f"{tag}-json".encode()].startswith(b"not a health: ")
        assert b"CharacterNotInRepertoireError 22021" in details[bad_key]

        # The agent went on: a health published after the bad ones is stored.
        after = f"{tag}-after"
        await produce(kafka_bootstrap, scores, [(after.encode(), health_json(after, "Later"))])
        deadline = time.monotonic() + 60
        while await stored_accounts(pg_dsn, [*good, after]) != {*good, after}:
            assert time.monotonic() < deadline, "healths after the dead letters never stored"
            await asyncio.sleep(0.5)
        assert await stored_accounts(pg_dsn, [bad_key.decode()]) == set()

        async with httpx.AsyncClient(timeout=10) as client:
            metrics = (await client.get(f"{worker.url}/metrics")).text
        assert dlq_count(metrics) == 3
        assert worker.alive() and worker.pid == pid
        log = worker.log_path.read_text(errors="replace")
        assert "Crashed" not in log and "Traceback" not in log, worker.tail()
        assert log.count("dead-lettered " + scores) == 3
    finally:
        await asyncio.to_thread(worker.stop)
