"""The walking skeleton end to end: real broker, real worker process, real PostgreSQL."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from tests.support.kafka_io import event_message, produce, read_until
from tests.support.worker import WorkerProcess

pytestmark = pytest.mark.integration


def topic(worker: WorkerProcess, name: str) -> str:
    return worker.env["HS_TOPIC_PREFIX"] + name


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


async def http_get(url: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(url, **kwargs)


async def metric(worker: WorkerProcess, name: str, **labels: str) -> float:
    text = (await http_get(f"{worker.url}/metrics")).text
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{") or line.startswith(f"{name} "):
            series, value = line.rsplit(" ", 1)
            parts = series[len(name) + 1 : -1].split(",") if "{" in series else []
            if ",".join(sorted(parts)) == wanted:
                return float(value)
    return 0.0


async def wait_for_row(dsn: str, sql: str, *args: Any, within: float = 60.0) -> asyncpg.Record:
    connection = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            row = await connection.fetchrow(sql, *args)
            if row is not None:
                return row
            await asyncio.sleep(0.3)
    finally:
        await connection.close()
    raise TimeoutError(f"no row for {sql!r} {args}")


def login(account: str, days_ago: float, user: str = "u1", **extra: Any) -> dict[str, Any]:
    return {
        "event_id": unique("login"),
        "account_id": account,
        "occurred_at": ago(days=days_ago),
        "user_id": user,
        **extra,
    }


def profile(account: str, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": unique("profile"),
        "account_id": account,
        "occurred_at": ago(days=1),
        "name": f"{account} Inc",
        "segment": "enterprise",
        "csm_owner": "dana",
        **extra,
    }


async def test_scores_reach_postgres_and_the_api(
    worker: WorkerProcess, kafka_bootstrap: str, pg_dsn: str
) -> None:
    account = unique("busy")
    await produce(
        kafka_bootstrap, topic(worker, "accounts"), [event_message(profile(account, arr=50000))]
    )
    logins = [login(account, days_ago=d / 4, user=f"u{d % 5}") for d in range(40)]
    await produce(
        kafka_bootstrap, topic(worker, "logins"), [(account.encode(), orjson.dumps(logins))]
    )

    row = await wait_for_row(
        pg_dsn, "SELECT * FROM account_health WHERE account_id = $1 AND band = 'healthy'", account
    )
    assert 70 <= row["score"] <= 100
    assert row["name"] == f"{account} Inc"
    history = await wait_for_row(
        pg_dsn, "SELECT count(*) AS n FROM score_history WHERE account_id = $1", account
    )
    assert history["n"] >= 1

    answer = await http_get(f"{worker.url}/accounts/{account}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["band"] == "healthy"
    assert body["components"]["engagement"] is not None
    assert body["model_version"].endswith("-test")
    assert (await http_get(f"{worker.url}/accounts/{unique('nobody')}")).status_code == 404


async def test_an_account_driven_unhealthy_raises_a_band_entered_alert(
    worker: WorkerProcess, kafka_bootstrap: str
) -> None:
    account = unique("sick")
    await produce(kafka_bootstrap, topic(worker, "accounts"), [event_message(profile(account))])
    await produce(
        kafka_bootstrap, topic(worker, "logins"), [event_message(login(account, days_ago=60))]
    )
    tickets = [
        {
            "event_id": unique("t"),
            "account_id": account,
            "occurred_at": ago(days=20),
            "ticket_id": f"T{i}",
            "status": "opened",
            "priority": "urgent",
        }
        for i in range(4)
    ]
    nps = [
        {
            "event_id": unique("n"),
            "account_id": account,
            "occurred_at": ago(days=3),
            "respondent_id": f"r{i}",
            "score": 1,
            "role": "business_executive",
        }
        for i in range(3)
    ]
    await produce(kafka_bootstrap, topic(worker, "tickets"), [event_message(t) for t in tickets])
    await produce(kafka_bootstrap, topic(worker, "nps"), [event_message(n) for n in nps])

    def fired(records: list[Any]) -> bool:
        return any(orjson.loads(r.value)["account_id"] == account for r in records)

    records = await read_until(kafka_bootstrap, topic(worker, "health.alerts"), fired)
    alerts = [orjson.loads(r.value) for r in records if r.key == account.encode()]
    band_alerts = [a for a in alerts if a["kind"] == "band_entered"]
    assert band_alerts, alerts
    assert band_alerts[0]["status"] == "firing"
    assert band_alerts[0]["band"] in ("at_risk", "critical")
    assert band_alerts[0]["drivers"], "an alert must say why"
    health = (await http_get(f"{worker.url}/accounts/{account}")).json()
    assert health["band"] != "healthy"


async def test_rejected_messages_reach_the_dlq_byte_for_byte_with_reasons(
    worker: WorkerProcess, kafka_bootstrap: str
) -> None:
    account = unique("dlq")
    not_json = b'{"event_id": "x", "account_id": '
    wrong_type = orjson.dumps({**login(account, 1), "user_id": 42})
    future = orjson.dumps({**login(account, 1), "occurred_at": ago(days=-3)})
    marker = ("trace-id", uuid.uuid4().hex.encode())
    await produce(
        kafka_bootstrap,
        topic(worker, "logins"),
        [(account.encode(), not_json), (account.encode(), wrong_type), (account.encode(), future)],
        headers=[marker],
    )

    def three(records: list[Any]) -> bool:
        return sum(1 for r in records if r.key == account.encode()) >= 3

    records = await read_until(kafka_bootstrap, topic(worker, "health.dlq"), three)
    mine = [r for r in records if r.key == account.encode()]
    by_value = {r.value: dict(r.headers) for r in mine}
    assert set(by_value) == {not_json, wrong_type, future}
    assert by_value[not_json]["hs.error.reason"] == b"invalid_json"
    assert by_value[wrong_type]["hs.error.reason"] == b"schema_violation"
    assert b"user_id" in by_value[wrong_type]["hs.error.detail"]
    assert by_value[future]["hs.error.reason"] == b"future_timestamp"
    for headers in by_value.values():
        assert headers["hs.source.topic"] == topic(worker, "logins").encode()
        assert int(headers["hs.source.partition"]) >= 0
        assert int(headers["hs.source.offset"]) >= 0
        assert headers["trace-id"] == marker[1], "original headers are kept"


async def test_one_bad_event_in_a_batch_rejects_only_that_event(
    worker: WorkerProcess, kafka_bootstrap: str, pg_dsn: str
) -> None:
    account = unique("batch")
    good = [login(account, days_ago=0.5, user=f"u{i}") for i in range(3)]
    bad = {**login(account, 1), "occurred_at": "yesterday"}
    await produce(
        kafka_bootstrap,
        topic(worker, "logins"),
        [(account.encode(), orjson.dumps([good[0], bad, good[1], good[2]]))],
    )

    records = await read_until(
        kafka_bootstrap,
        topic(worker, "health.dlq"),
        lambda rs: any(r.key == account.encode() for r in rs),
    )
    rejected = [r for r in records if r.key == account.encode()]
    assert len(rejected) == 1
    assert orjson.loads(rejected[0].value) == bad
    assert dict(rejected[0].headers)["hs.batch.index"] == b"1"
    await wait_for_row(pg_dsn, "SELECT 1 FROM account_health WHERE account_id = $1", account)
    assert await metric(worker, "healthscore_events_total", topic="logins", outcome="accepted") >= 3


async def test_a_duplicate_event_changes_nothing(
    worker: WorkerProcess, kafka_bootstrap: str, pg_dsn: str
) -> None:
    account = unique("dup")
    first = login(account, days_ago=10)
    await produce(kafka_bootstrap, topic(worker, "logins"), [event_message(first)])
    before = await wait_for_row(
        pg_dsn, "SELECT score, updated_at FROM account_health WHERE account_id = $1", account
    )
    duplicates_before = await metric(
        worker, "healthscore_events_total", topic="logins", outcome="duplicate"
    )

    # The same event again (a producer retry), then a fresh marker event on another account
    # so we know the worker has read past the duplicate.
    marker = unique("marker")
    await produce(
        kafka_bootstrap,
        topic(worker, "logins"),
        [event_message(first), event_message(login(marker, days_ago=1))],
    )
    await wait_for_row(pg_dsn, "SELECT 1 FROM account_health WHERE account_id = $1", marker)
    deadline = time.monotonic() + 30
    while (
        await metric(worker, "healthscore_events_total", topic="logins", outcome="duplicate")
        < duplicates_before + 1
    ):
        assert time.monotonic() < deadline, "the duplicate was never counted"
        await asyncio.sleep(0.3)

    after = await wait_for_row(
        pg_dsn, "SELECT score, updated_at FROM account_health WHERE account_id = $1", account
    )
    assert (after["score"], after["updated_at"]) == (before["score"], before["updated_at"])
    history = await wait_for_row(
        pg_dsn, "SELECT count(*) AS n FROM score_history WHERE account_id = $1", account
    )
    assert history["n"] == 1


async def test_a_login_with_an_unknown_field_is_scored_counted_and_not_dead_lettered(
    worker: WorkerProcess, kafka_bootstrap: str, pg_dsn: str
) -> None:
    account = unique("tolerant")
    before = await metric(worker, "healthscore_unknown_fields_total", topic="logins")
    with_plan = login(account, days_ago=0.5, plan="enterprise")
    # Rejected, and after the login in the account's partition: once it is in the
    # DLQ, the login has been processed, and anything it dead-lettered is there too.
    sentinel = orjson.dumps({**login(account, 1), "occurred_at": ago(days=-3)})
    await produce(
        kafka_bootstrap,
        topic(worker, "logins"),
        [event_message(with_plan), (account.encode(), sentinel)],
    )

    row = await wait_for_row(pg_dsn, "SELECT * FROM account_health WHERE account_id = $1", account)
    assert row["score"] is not None
    records = await read_until(
        kafka_bootstrap,
        topic(worker, "health.dlq"),
        lambda rs: any(r.key == account.encode() for r in rs),
    )
    assert [r.value for r in records if r.key == account.encode()] == [sentinel]
    after = await metric(worker, "healthscore_unknown_fields_total", topic="logins")
    assert after == before + 1
