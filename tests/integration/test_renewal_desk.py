"""The renewal desk end to end: renewal events through a real worker into the real PostgreSQL,
and the same hand-computed KPIs from `GET /portfolio/renewals` and from the SQL views.

The history is tests/support/renewal_history.py's, produced as a CRM would import
it (old decisions carry `decided_on`) plus the win-back as two events. The
accounts' bands come from NPS answers alone: the test model gives the commercial
component no weight, so an account's band does not move with the days to its
renewal (promoters: healthy; passives: at risk; detractors: critical). The
worker has a database of its own, since the views sum every record in it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
import yaml

from models.health import Band
from models.model_config import load_model
from tests.integration.renewal_views import desk_from_views
from tests.support import renewal_history as fixture
from tests.support.kafka_io import produce
from tests.support.openapi import check_answer, load_document
from tests.support.worker import WorkerProcess, running_worker, worker_env

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)
TODAY = NOW.date()
HISTORY = fixture.history(TODAY)
NPS_SCORE = {Band.HEALTHY: 10, Band.AT_RISK: 8, Band.CRITICAL: 0}


def desk_model(folder: Path) -> Path:
    model = load_model(None).model_dump(mode="json")
    model["version"] = "renewal-desk-test"
    model["components"]["commercial"]["weight"] = 0
    model["renewals"] = {
        "fiscal_year_start_month": fixture.start_month(TODAY),
        "window_days": 90,
        "target_share": fixture.TARGET_SHARE,
        "churn_calibration": {"source": "test", "days_before": 60, "bands": fixture.CALIBRATION},
    }
    path = folder / "model.yaml"
    path.write_text(yaml.safe_dump(model))
    return path


@pytest.fixture(scope="module")
def desk_worker(
    kafka_bootstrap: str, own_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    folder = tmp_path_factory.mktemp("renewal-desk-worker")
    env = worker_env(kafka_bootstrap, own_database, folder, HS_MODEL=str(desk_model(folder)))
    with running_worker(env, folder) as process:
        yield process


@pytest.fixture(scope="module")
async def db(own_database: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(own_database)
    try:
        yield connection
    finally:
        await connection.close()


def renewal_event(entry: fixture.Entry, status: str, decided_on: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": uuid.uuid4().hex,
        "account_id": entry.account_id,
        # Exactly now: a decision dated today must not postdate its event.
        "occurred_at": NOW.isoformat(),
        "contract_id": entry.contract_id,
        "status": status,
        "renewal_date": entry.renewal_date.isoformat(),
        "arr": entry.arr,
    }
    if decided_on is not None:
        event["decided_on"] = decided_on.isoformat()
    return event


def nps_events(account: str, band: Band) -> list[dict[str, Any]]:
    return [
        {
            "event_id": uuid.uuid4().hex,
            "account_id": account,
            "occurred_at": NOW.isoformat(),
            "respondent_id": f"r{n}",
            "score": NPS_SCORE[band],
            "role": "business_executive",
        }
        for n in range(2)
    ]


@pytest.fixture(scope="module")
async def produced(
    desk_worker: WorkerProcess, kafka_bootstrap: str, db: asyncpg.Connection
) -> None:
    prefix = desk_worker.env["HS_TOPIC_PREFIX"]
    renewals: list[tuple[bytes, bytes]] = []
    answers: dict[str, list[dict[str, Any]]] = {}
    for entry in HISTORY:
        if entry.earlier is not None:
            status, decided_on = entry.earlier
            renewals.append(message(renewal_event(entry, status, decided_on)))
        renewals.append(message(renewal_event(entry, entry.status, entry.decided_on)))
        if entry.status == "upcoming":
            answers[entry.account_id] = nps_events(entry.account_id, entry.band)
    await produce(kafka_bootstrap, prefix + "renewals", renewals)
    await produce(
        kafka_bootstrap,
        prefix + "nps",
        [(account.encode(), orjson.dumps(events)) for account, events in answers.items()],
    )
    pending_bands = {e.account_id: e.band.value for e in HISTORY if e.status == "upcoming"}

    async def arrived() -> bool:
        records = await db.fetchval("SELECT count(*) FROM renewals WHERE status <> 'upcoming'")
        upcoming = await db.fetchval("SELECT count(*) FROM renewals WHERE status = 'upcoming'")
        bands = dict(
            await db.fetch(
                "SELECT account_id, band FROM account_health WHERE account_id = ANY($1)",
                list(pending_bands),
            )
        )
        decided = sum(1 for e in HISTORY if e.status != "upcoming")
        return (records, upcoming, bands) == (decided, len(HISTORY) - decided, pending_bands)

    deadline = time.monotonic() + 90
    while not await arrived():
        if time.monotonic() > deadline:
            raise TimeoutError(f"renewals never all reached PostgreSQL:\n{desk_worker.tail(40)}")
        await asyncio.sleep(0.5)


def message(event: dict[str, Any]) -> tuple[bytes, bytes]:
    return str(event["account_id"]).encode(), orjson.dumps(event)


def expected() -> dict[str, Any]:
    return {
        "quarters": fixture.EXPECTED_QUARTERS,
        "quarter_to_date": fixture.EXPECTED_QUARTER_TO_DATE,
        "year_to_date": fixture.EXPECTED_YEAR_TO_DATE,
        "churn_forecast": fixture.EXPECTED_FORECAST,
        "due_soon": fixture.EXPECTED_DUE_SOON,
    }


def only_expected(found: Any, wanted: Any) -> Any:
    """`found` cut down to the keys `wanted` has, at every level."""
    if isinstance(wanted, dict):
        return {key: only_expected(found[key], inner) for key, inner in wanted.items()}
    if isinstance(wanted, list):
        return [only_expected(f, w) for f, w in zip(found, wanted, strict=True)]
    return found


async def test_the_api_answers_the_hand_computed_figures(
    produced: None, desk_worker: WorkerProcess
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(f"{desk_worker.url}/portfolio/renewals")
    assert response.status_code == 200
    body = response.json()
    check_answer(load_document(), "/portfolio/renewals", response)
    assert body["records"] == "postgresql"
    assert body["as_of"] == TODAY.isoformat()
    assert [q["label"] for q in body["quarters"]] == [
        q.label for q in fixture.frame(TODAY).quarters
    ]
    wanted = expected()
    found = only_expected(body, wanted)
    assert fixture.flat(found) == pytest.approx(fixture.flat(wanted))
    assert body["calibration"]["bands"]["at_risk"] == {
        "renewals": 8,
        "churned": 2,
        "churn_probability": 0.25,
    }


async def test_the_views_give_the_same_figures(produced: None, db: asyncpg.Connection) -> None:
    views = await desk_from_views(db)
    assert views["labels"] == [q.label for q in fixture.frame(TODAY).quarters]
    wanted = expected()
    wanted["forecast"] = wanted.pop("churn_forecast")
    found = only_expected(views, wanted)
    assert fixture.flat(found) == pytest.approx(fixture.flat(wanted))


async def test_a_replayed_history_changes_no_figure(
    produced: None, desk_worker: WorkerProcess, kafka_bootstrap: str, db: asyncpg.Connection
) -> None:
    """The same events again, with new event ids (a producer's retry after a crash)."""
    before = await db.fetch("SELECT * FROM renewals ORDER BY account_id, contract_id")
    counted = await renewal_events_counted(desk_worker)
    prefix = desk_worker.env["HS_TOPIC_PREFIX"]
    again = [message(renewal_event(e, e.status, e.decided_on)) for e in HISTORY]
    await produce(kafka_bootstrap, prefix + "renewals", again)
    deadline = time.monotonic() + 60
    while await renewal_events_counted(desk_worker) < counted + len(again):
        assert time.monotonic() < deadline, "the replayed events were never folded"
        await asyncio.sleep(0.5)
    after = await db.fetch("SELECT * FROM renewals ORDER BY account_id, contract_id")
    assert [dict(r) for r in after] == [dict(r) for r in before]
    await test_the_views_give_the_same_figures(produced, db)


async def renewal_events_counted(worker: WorkerProcess) -> float:
    """Renewal events the worker has taken in, whatever their outcome."""
    async with httpx.AsyncClient(timeout=10) as client:
        text = (await client.get(f"{worker.url}/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("healthscore_events_total{") and 'topic="renewals"' in line
    )
