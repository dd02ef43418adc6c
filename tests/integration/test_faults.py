"""Servers going away: the broker for 20 s, PostgreSQL for 30 s; and Kafka over SASL.

These tests stop servers, so each runs against a broker or PostgreSQL of its
own (on free ports, data under the test's tmp folder); the shared session
servers stay untouched.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest
from aiokafka.structs import ConsumerRecord

from models.health import Health, evaluation_key
from models.model_config import load_model
from tests.support.cluster import send_traffic
from tests.support.kafka_io import read_until
from tests.support.private_servers import PrivateKafka, private_kafka, private_postgres
from tests.support.truth import expected_states, state_differences, wait_for_states, workload
from tests.support.worker import new_worker, worker_env

pytestmark = pytest.mark.integration

SASL_USER = "healthscore"
SASL_PASSWORD = "pw-7f3c9e1d-never-logged"


@pytest.fixture(scope="module")
def own_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateKafka]:
    """A broker only this module uses, with a SASL_PLAINTEXT (PLAIN) listener besides PLAINTEXT."""
    with private_kafka(tmp_path_factory.mktemp("kafka"), {SASL_USER: SASL_PASSWORD}) as kafka:
        yield kafka


async def test_a_worker_authenticates_with_sasl_and_never_logs_the_password(
    own_kafka: PrivateKafka, tmp_path: Path
) -> None:
    env = worker_env(
        own_kafka.sasl_bootstrap,
        None,
        tmp_path,
        HS_KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT",
        HS_KAFKA_SASL_MECHANISM="PLAIN",
        HS_KAFKA_SASL_USERNAME=SASL_USER,
        HS_KAFKA_SASL_PASSWORD=SASL_PASSWORD,
        HS_LOG_LEVEL="DEBUG",
    )
    worker = new_worker(env, tmp_path)
    traffic = workload("sasl", accounts=20, logins_per_account=5)
    try:
        await asyncio.to_thread(worker.start)
        await send_traffic(own_kafka.bootstrap, env["HS_TOPIC_PREFIX"], traffic)
        expected = expected_states([traffic], load_model(None))
        found = await wait_for_states(own_kafka.bootstrap, env, expected, within=60)
        assert not state_differences(found, expected), state_differences(found, expected)
    finally:
        await asyncio.to_thread(worker.stop)
    log = worker.log_path.read_text(errors="replace")
    assert "SASL" in log or "sasl" in log  # the log is the worker's, at DEBUG
    assert SASL_PASSWORD not in log


async def test_a_broker_outage_of_20_seconds_loses_nothing(
    own_kafka: PrivateKafka, tmp_path: Path
) -> None:
    env = worker_env(own_kafka.bootstrap, None, tmp_path)
    worker = new_worker(env, tmp_path)
    prefix = env["HS_TOPIC_PREFIX"]
    before, during, after = workload("outage", accounts=300, logins_per_account=10).chunks(3)
    model = load_model(None)
    try:
        await asyncio.to_thread(worker.start)
        pid = worker.pid
        await send_traffic(own_kafka.bootstrap, prefix, before)
        await send_traffic(own_kafka.bootstrap, prefix, during)
        await asyncio.to_thread(own_kafka.stop)  # while the worker is still on `during`
        await asyncio.sleep(20)
        await asyncio.to_thread(own_kafka.start)
        await send_traffic(own_kafka.bootstrap, prefix, after)

        expected = expected_states([before, during, after], model)
        found = await wait_for_states(own_kafka.bootstrap, env, expected, within=120)
        assert not state_differences(found, expected), state_differences(found, expected)
        assert worker.alive() and worker.pid == pid, "the worker resumed, it was not restarted"
        await asyncio.to_thread(worker.wait_ready, 60)
    finally:
        await asyncio.to_thread(worker.stop)


async def history_rows(dsn: str) -> list[tuple[str, str]]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch("SELECT account_id, evaluation_key FROM score_history")
    finally:
        await connection.close()
    return [(row["account_id"], row["evaluation_key"]) for row in rows]


async def current_rows(dsn: str) -> dict[str, datetime]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch("SELECT account_id, updated_at FROM account_health")
    finally:
        await connection.close()
    return {row["account_id"]: row["updated_at"] for row in rows}


async def published(bootstrap: str, topic: str, accounts: set[str]) -> list[Health]:
    """Every health published so far, once the latest of each of `accounts` is there."""

    def covers(records: list[ConsumerRecord[bytes, bytes]]) -> bool:
        return accounts <= {r.key.decode() for r in records}

    records = await read_until(bootstrap, topic, covers, within=60)
    return [Health.model_validate_json(r.value) for r in records]


async def test_a_postgres_outage_of_30_seconds_delays_rows_but_loses_none(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    with private_postgres() as pg:
        env = worker_env(kafka_bootstrap, pg.dsn, tmp_path)
        worker = new_worker(env, tmp_path)
        prefix = env["HS_TOPIC_PREFIX"]
        scores = prefix + "health.scores"
        first, second = workload("pgdown", accounts=200, logins_per_account=10).chunks(2)
        model = load_model(None)
        try:
            await asyncio.to_thread(worker.start)
            await send_traffic(kafka_bootstrap, prefix, first)
            accounts = set(expected_states([first], model))
            deadline = time.monotonic() + 60
            while set(await current_rows(pg.dsn)) != accounts:
                assert time.monotonic() < deadline, "first rows never arrived"
                await asyncio.sleep(0.5)

            await asyncio.to_thread(pg.stop)
            down_at = time.monotonic()
            await send_traffic(kafka_bootstrap, prefix, second)
            # Scoring does not wait for the database: the state and health.scores move on.
            expected = expected_states([first, second], model)
            found = await wait_for_states(kafka_bootstrap, env, expected, within=25)
            assert not state_differences(found, expected), state_differences(found, expected)
            await published(kafka_bootstrap, scores, set(expected))
            assert time.monotonic() - down_at < 30, "scoring waited for PostgreSQL"

            await asyncio.sleep(max(0.0, 30 - (time.monotonic() - down_at)))
            await asyncio.to_thread(pg.start)

            # Every published health ends up in the history exactly once, and the
            # current row of each account is its latest published health.
            healths = await published(kafka_bootstrap, scores, set(expected))
            want = {(h.account_id, evaluation_key(h)) for h in healths}
            latest: dict[str, datetime] = {}
            for health in healths:
                seen = latest.get(health.account_id, health.updated_at)
                latest[health.account_id] = max(health.updated_at, seen)
            deadline = time.monotonic() + 60
            while True:
                rows = await history_rows(pg.dsn)
                if set(rows) >= want or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
            assert len(rows) == len(set(rows))
            assert want <= set(rows), f"{len(want - set(rows))} published healths missing"
            # Rows beyond `want` are healths published since it was read (re-scoring goes on).
            assert {account for account, _ in rows} == set(expected)
            current = await current_rows(pg.dsn)
            assert set(current) == set(expected)
            assert all(current[a] >= latest[a] for a in expected)
        finally:
            await asyncio.to_thread(worker.stop)
