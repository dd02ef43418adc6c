"""The growth list end to end: tests/support/growth_history's accounts through real workers
into the real PostgreSQL, and the same hand-computed list and figures from
`GET /portfolio/growth` (with PostgreSQL, and from a worker's own accounts without it), from
the SQL views, and as expansion_opportunity alerts (the test model turns them on).

The worker with PostgreSQL has a database of its own, since the views count every row
in it; the one without has topics of its own, fed the same events.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import yaml

from tests.support import growth_history as fixture
from tests.support.openapi import check_answer, load_document
from tests.support.servers import scratch_database
from tests.support.worker import WorkerProcess, new_worker, send_batches, wait_until, worker_env

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)
TODAY = NOW.date()
CANDIDATES = ["g-alpha", "g-charlie", "g-bravo", "g-hotel"]
LISTED = ("account_id", "name", "segment", "csm_owner", "arr", "renewal_date", "strength")


def growth_model(folder: Path) -> Path:
    path = folder / "model.yaml"
    path.write_text(yaml.safe_dump(fixture.growth_model_data()))
    return path


@pytest.fixture(scope="module")
def growth_dsn(pg_dsn: str) -> Iterator[str]:
    with scratch_database(pg_dsn) as dsn:
        yield dsn


def start_worker(folder: Path, bootstrap: str, dsn: str | None) -> WorkerProcess:
    env = worker_env(bootstrap, dsn, folder, HS_MODEL=str(growth_model(folder)))
    return new_worker(env, folder).start()


@pytest.fixture(scope="module")
def workers(
    kafka_bootstrap: str, growth_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[WorkerProcess, WorkerProcess]]:
    """A worker with PostgreSQL, and one without."""
    with_pg = start_worker(tmp_path_factory.mktemp("growth-pg"), kafka_bootstrap, growth_dsn)
    try:
        alone = start_worker(tmp_path_factory.mktemp("growth-alone"), kafka_bootstrap, None)
        try:
            yield with_pg, alone
        finally:
            alone.stop()
    finally:
        with_pg.stop()


@pytest.fixture(scope="module")
async def db(growth_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(growth_dsn)
    await connection.set_type_codec(
        "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
    )
    try:
        yield connection
    finally:
        await connection.close()


async def growth(worker: WorkerProcess, **params: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(f"{worker.url}/portfolio/growth", params=params)


@pytest.fixture(scope="module")
async def produced(
    workers: tuple[WorkerProcess, WorkerProcess], kafka_bootstrap: str, db: asyncpg.Connection
) -> tuple[WorkerProcess, WorkerProcess]:
    with_pg, alone = workers
    events = fixture.events(NOW)
    for worker in workers:
        await send_batches(kafka_bootstrap, worker, events)

    async def stored() -> bool:
        rows = await db.fetch(
            "SELECT account_id FROM account_health WHERE growth_candidate ORDER BY account_id"
        )
        churned = await db.fetchval(
            "SELECT count(*) FROM account_health WHERE lifecycle_status = 'churned'"
        )
        healthy = await db.fetchval("SELECT count(*) FROM account_health WHERE band = 'healthy'")
        return [r[0] for r in rows] == sorted(CANDIDATES) and (churned, healthy) == (1, 7)

    async def counted_alone() -> bool:
        summary = (await growth(alone)).json()["summary"]
        return (summary["candidates"], summary["healthy_accounts"]) == (4, 6)

    await wait_until(stored, "the growth never reached PostgreSQL", with_pg)
    await wait_until(counted_alone, "the worker without PostgreSQL never counted it", alone)
    return workers


def listed(candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**{k: c[k] for k in LISTED}, "drivers": c["drivers"]} for c in candidates]


@pytest.mark.parametrize(
    ("params", "summary", "accounts"),
    [
        ({}, fixture.EXPECTED_SUMMARY, CANDIDATES),
        ({"segment": "enterprise"}, fixture.ENTERPRISE_SUMMARY, ["g-alpha", "g-charlie"]),
        ({"csm_owner": "lee"}, fixture.LEE_SUMMARY, ["g-bravo"]),
    ],
    ids=["all", "segment", "owner"],
)
async def test_the_api_answers_the_hand_computed_list_with_and_without_postgresql(
    produced: tuple[WorkerProcess, WorkerProcess],
    params: dict[str, str],
    summary: dict[str, Any],
    accounts: list[str],
) -> None:
    expected = {c["account_id"]: c for c in fixture.expected_candidates(TODAY)}
    for worker, records in zip(produced, ("postgresql", "worker"), strict=True):
        response = await growth(worker, **params)
        assert response.status_code == 200
        body = check_answer(load_document(), "/portfolio/growth", response)
        assert body["records"] == records
        assert (body["min_strength"], body["window_days"]) == (60, 14)
        assert listed(body["candidates"]) == [expected[a] for a in accounts], records
        fixture.assert_summary(body["summary"], summary)


async def test_the_limit_shortens_the_list_and_bad_parameters_are_400(
    produced: tuple[WorkerProcess, WorkerProcess],
) -> None:
    with_pg, _ = produced
    body = (await growth(with_pg, limit="2")).json()
    assert [c["account_id"] for c in body["candidates"]] == CANDIDATES[:2]
    assert body["summary"]["candidates"] == 4
    for bad in ({"limit": "0"}, {"band": "healthy"}):
        response = await growth(with_pg, **bad)
        assert response.status_code == 400
        check_answer(load_document(), "/portfolio/growth", response)


async def test_the_views_give_the_same_list_and_figures(
    produced: tuple[WorkerProcess, WorkerProcess], db: asyncpg.Connection
) -> None:
    rows = await db.fetch("SELECT * FROM growth_candidates ORDER BY rank")
    assert [r["rank"] for r in rows] == [1, 2, 3, 4]
    found = [
        {
            **{k: r[k] for k in LISTED},
            "renewal_date": r["renewal_date"].isoformat() if r["renewal_date"] else None,
            "drivers": r["drivers"],
        }
        for r in rows
    ]
    assert found == fixture.expected_candidates(TODAY)
    assert rows[0]["why"] == "; ".join(d["text"] for d in found[0]["drivers"])
    summary = await db.fetchrow("SELECT * FROM growth_summary")
    signals = await db.fetch("SELECT * FROM growth_signals ORDER BY position")
    assert summary is not None
    fixture.assert_summary(
        {
            **{k: summary[k] for k in ("candidates", "arr", "healthy_accounts")},
            "candidate_share": summary["candidate_share"],
            "signals": {r["signal"]: {"accounts": r["accounts"], "arr": r["arr"]} for r in signals},
        },
        fixture.EXPECTED_SUMMARY,
    )


async def test_an_expansion_opportunity_is_open_for_each_candidate_only(
    produced: tuple[WorkerProcess, WorkerProcess], db: asyncpg.Connection
) -> None:
    async def all_open() -> bool:
        rows = await db.fetch(
            """SELECT DISTINCT ON (dedup_key) account_id, status, severity
               FROM alerts WHERE kind = 'expansion_opportunity'
               ORDER BY dedup_key, at DESC, status = 'resolved' DESC"""
        )
        open_ = sorted(r["account_id"] for r in rows if r["status"] != "resolved")
        return open_ == sorted(CANDIDATES) and {r["severity"] for r in rows} == {"info"}

    await wait_until(all_open, "the expansion opportunities never all opened", produced[0])
    payload = await db.fetchval(
        "SELECT payload FROM alerts WHERE account_id = 'g-alpha' "
        "AND kind = 'expansion_opportunity' AND status = 'firing'"
    )
    assert payload["growth_strength"] == 100
    assert [d["code"] for d in payload["drivers"]] == [
        d["code"] for d in fixture.expected_candidates(TODAY)[0]["drivers"]
    ]


async def test_every_account_answer_carries_its_growth(
    produced: tuple[WorkerProcess, WorkerProcess],
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        for worker in produced:
            alpha = (await client.get(f"{worker.url}/accounts/g-alpha")).json()
            delta = (await client.get(f"{worker.url}/accounts/g-delta")).json()
            assert (alpha["growth"]["candidate"], alpha["growth"]["strength"]) == (True, 100)
            assert (delta["growth"]["candidate"], delta["growth"]["strength"]) == (False, 70)
            assert delta["band"] == "critical"
