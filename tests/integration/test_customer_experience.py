"""Customer experience end to end: the hand-computed history of tests/support/cx_history.py
through a real worker into the real PostgreSQL, and the same figures from `GET /portfolio/cx`
and from the SQL views, now and over time.

The worker has a database of its own (`own_database`), since the views sum every account
in it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support import cx_history as fixture
from tests.support.openapi import check_answer, load_document
from tests.support.renewal_history import flat
from tests.support.worker import (
    WorkerProcess,
    running_worker,
    send_batches,
    wait_until,
    worker_env,
)

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)
FIGURES = """answers, promoters, passives, detractors, nps, csat_answers, csat_satisfied, csat,
    csat_mean, effort_answers, effort_mean, first_reply_tickets, first_reply_hours,
    active_users, user_days, daily_active_users, dau_mau"""


@pytest.fixture(scope="module")
def cx_worker(
    kafka_bootstrap: str, own_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    folder = tmp_path_factory.mktemp("cx-worker")
    with running_worker(worker_env(kafka_bootstrap, own_database, folder), folder) as process:
        yield process


@pytest.fixture(scope="module")
async def db(own_database: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(own_database)
    yield connection
    await connection.close()


@pytest.fixture(scope="module")
async def produced(cx_worker: WorkerProcess, kafka_bootstrap: str, db: asyncpg.Connection) -> None:
    await send_batches(kafka_bootstrap, cx_worker, fixture.history(NOW))
    total = fixture.EXPECTED_TOTAL
    folded = (
        total["accounts"],
        total["nps"]["answers"],
        total["csat"]["answers"],
        total["effort"]["answers"],
        total["first_reply"]["tickets"],
        total["activity"]["active_users"],
        total["activity"]["user_days"],
    )

    async def every_event_counted() -> bool:
        row = await db.fetchrow(
            """SELECT accounts, answers, csat_answers, effort_answers, first_reply_tickets,
                      active_users, user_days
               FROM cx_now WHERE dimension = 'all'"""
        )
        churned = await db.fetchval(
            "SELECT count(*) FROM account_health WHERE lifecycle_status = 'churned'"
        )
        return row is not None and tuple(row) == folded and churned == 1

    await wait_until(every_event_counted, "the CX counts never all reached PostgreSQL", cx_worker)


def view_figures(row: asyncpg.Record, personas: list[asyncpg.Record]) -> dict[str, Any]:
    """A row of cx_now (and its personas' rows) in the shape of the API's figures."""
    return {
        "accounts": row["accounts"],
        "nps": {key: row[key] for key in ("answers", "promoters", "passives", "detractors", "nps")},
        "personas": {
            p["persona"]: {
                key: p[key]
                for key in ("answers", "promoters", "passives", "detractors", "nps", "active_users")
            }
            for p in personas
        },
        "csat": {
            "answers": row["csat_answers"],
            "satisfied": row["csat_satisfied"],
            "csat": row["csat"],
            "mean": row["csat_mean"],
        },
        "effort": {"answers": row["effort_answers"], "mean": row["effort_mean"]},
        "first_reply": {
            "tickets": row["first_reply_tickets"],
            "mean_hours": row["first_reply_hours"],
        },
        "activity": {
            "active_users": row["active_users"],
            "user_days": row["user_days"],
            "daily_active_users": row["daily_active_users"],
            "dau_mau": row["dau_mau"],
        },
    }


async def from_views(db: asyncpg.Connection, view: str, dimension: str) -> dict[str, Any]:
    """Per value of the dimension, its figures from `view` (cx_now, or cx_by_day today)."""
    personas_view = view.replace("cx_", "cx_personas_")
    today = "" if view == "cx_now" else "AND day = (now() AT TIME ZONE 'UTC')::date"
    rows = await db.fetch(
        f"SELECT value, accounts, {FIGURES} FROM {view} WHERE dimension = $1 {today}", dimension
    )
    personas = await db.fetch(
        f"""SELECT value, persona, answers, promoters, passives, detractors, nps, active_users
            FROM {personas_view} WHERE dimension = $1 {today} ORDER BY position""",
        dimension,
    )
    return {
        row["value"]: view_figures(row, [p for p in personas if p["value"] == row["value"]])
        for row in rows
    }


async def test_the_api_answers_the_hand_computed_figures(
    produced: None, cx_worker: WorkerProcess
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(f"{cx_worker.url}/portfolio/cx", params={"by": "segment"})
        owners = (await client.get(f"{cx_worker.url}/portfolio/cx?by=csm_owner")).json()
        wrong = await client.get(f"{cx_worker.url}/portfolio/cx?by=colour")
    assert response.status_code == 200
    body = check_answer(load_document(), "/portfolio/cx", response)
    assert (body["records"], body["by"]) == ("postgresql", "segment")
    assert body["windows"] == {"nps_days": 180, "support_days": 90, "activity_days": 30}
    assert flat(body["total"]) == pytest.approx(flat(fixture.EXPECTED_TOTAL))
    assert set(body["groups"]) == set(fixture.EXPECTED_SEGMENTS)
    for segment, wanted in fixture.EXPECTED_SEGMENTS.items():
        found = {key: body["groups"][segment][key] for key in wanted}
        assert flat(found) == pytest.approx(flat(wanted))
    assert {o: g["accounts"] for o, g in owners["groups"].items()} == fixture.EXPECTED_OWNERS
    assert wrong.status_code == 400
    assert check_answer(load_document(), "/portfolio/cx", wrong)["error"].startswith("by: ")


async def test_the_views_give_the_same_figures_now_and_for_today(
    produced: None, cx_worker: WorkerProcess, db: asyncpg.Connection
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        api = (await client.get(f"{cx_worker.url}/portfolio/cx?by=region")).json()
    for view in ("cx_now", "cx_by_day"):
        [total] = (await from_views(db, view, "all")).values()
        assert flat(total) == pytest.approx(flat(fixture.EXPECTED_TOTAL)), view
        segments = await from_views(db, view, "segment")
        for segment, wanted in fixture.EXPECTED_SEGMENTS.items():
            found = {key: segments[segment][key] for key in wanted}
            assert flat(found) == pytest.approx(flat(wanted)), view
        regions = await from_views(db, view, "region")
        assert flat(regions) == pytest.approx(flat(api["groups"])), view
    week = await db.fetchrow(
        "SELECT week, accounts, nps FROM cx_by_week WHERE dimension = 'all' ORDER BY week DESC"
    )
    assert week is not None
    assert week["week"].weekday() == 0, "weeks start on Monday"
    assert (week["accounts"], week["nps"]) == (3, pytest.approx(10.0))


async def test_each_account_has_its_counts_of_the_day_stored_with_its_lifecycle(
    produced: None, db: asyncpg.Connection
) -> None:
    rows = await db.fetch(
        """SELECT account_id, lifecycle_status, experience -> 'csat' ->> 'answers' AS csat
           FROM experience_days WHERE day = (now() AT TIME ZONE 'UTC')::date
           ORDER BY account_id"""
    )
    assert [(r["account_id"], r["lifecycle_status"], r["csat"]) for r in rows] == [
        ("alpha", "active", "2"),
        ("beta", "active", "1"),
        ("delta", "churned", "1"),
        ("gamma", "active", "0"),
    ]
