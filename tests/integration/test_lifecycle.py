"""Churn and resurrection end to end: the hand-computed history of
tests/support/lifecycle_history.py through a real worker, PostgreSQL and the API.

One worker stores into a database of its own (so the whole-portfolio views hold
exactly this history); a second one, without PostgreSQL, scores the same events
from its own topics and answers from its own table. Both answers, and the SQL
views, must be the figures worked out by hand. Last, an account whose alerts
are open churns: they resolve with reason `churned`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from tests.integration.conftest import fast_alert_model
from tests.support.lifecycle_history import (
    EXPECTED_LIFECYCLES,
    IN_THE_BANDS,
    account_ids,
    anchor_for,
    expected_answer,
    lifecycle_history,
)
from tests.support.openapi import check_answer, load_document
from tests.support.worker import (
    WorkerProcess,
    running_worker,
    send_batches,
    wait_until,
    worker_env,
)

pytestmark = pytest.mark.integration

ANCHOR = anchor_for(datetime.now(UTC).date())
PREFIX = f"lc-{uuid.uuid4().hex[:6]}-"
ACCOUNTS = account_ids(PREFIX)


@pytest.fixture(scope="module")
def stored_worker(
    kafka_bootstrap: str, own_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    folder = tmp_path_factory.mktemp("lifecycle-stored")
    model = str(fast_alert_model(folder))
    env = worker_env(kafka_bootstrap, own_database, folder, HS_MODEL=model)
    with running_worker(env, folder) as process:
        yield process


@pytest.fixture(scope="module")
def table_worker(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    folder = tmp_path_factory.mktemp("lifecycle-table")
    with running_worker(worker_env(kafka_bootstrap, None, folder), folder) as process:
        yield process


def expected_status(account: str) -> str:
    return EXPECTED_LIFECYCLES[account.removeprefix(PREFIX)].status


@pytest.fixture(scope="module")
async def history(
    stored_worker: WorkerProcess,
    table_worker: WorkerProcess,
    kafka_bootstrap: str,
    own_db: asyncpg.Connection,
) -> None:
    events = lifecycle_history(ANCHOR, PREFIX)
    for worker in (stored_worker, table_worker):
        await send_batches(kafka_bootstrap, worker, events)

    async def stored() -> bool:
        rows = await own_db.fetch("SELECT account_id, lifecycle_status FROM account_health")
        found = {r["account_id"]: r["lifecycle_status"] for r in rows}
        return found == {a: expected_status(a) for a in ACCOUNTS.values()}

    await wait_until(stored, "the lifecycles never reached account_health", stored_worker)

    async def scored() -> bool:
        async with httpx.AsyncClient(timeout=5) as client:
            for account in ACCOUNTS.values():
                response = await client.get(f"{table_worker.url}/accounts/{account}")
                status = (response.json().get("lifecycle") or {}).get("status")
                if response.status_code != 200 or status != expected_status(account):
                    return False
        return True

    await wait_until(scored, "the table-only worker never scored the history", table_worker)


def without_prefix(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in figures.items() if k != "rechurn_within_days"}


def approx_answer(anchor: date) -> dict[str, Any]:
    expected = expected_answer(anchor)
    return {
        **{k: pytest.approx(v) for k, v in expected.items() if k != "quarters"},
        "quarters": [pytest.approx(q) for q in expected["quarters"]],
    }


async def test_the_sql_views_hold_the_hand_computed_figures(
    history: None, own_db: asyncpg.Connection
) -> None:
    expected = expected_answer(ANCHOR)
    totals = dict(await own_db.fetchrow("SELECT * FROM resurrection_totals"))
    assert totals == pytest.approx(expected["all_time"])
    quarters = [
        dict(r)
        for r in await own_db.fetch("SELECT * FROM resurrection_by_quarter ORDER BY quarter")
    ]
    assert quarters == [pytest.approx(q) for q in expected["quarters"]]
    now = dict(await own_db.fetchrow("SELECT * FROM portfolio_arr"))
    assert now == pytest.approx(
        {
            "accounts": IN_THE_BANDS["accounts"],
            "arr": IN_THE_BANDS["arr"],
            "accounts_at_risk": now["accounts_at_risk"],
            "arr_at_risk": now["arr_at_risk"],
            "churned_accounts": expected["churned"]["accounts"],
            "arr_lost": expected["churned"]["arr_lost"],
            "resurrected_accounts": expected["resurrected"]["accounts"],
            "resurrected_arr": expected["resurrected"]["arr"],
        }
    )
    at_risk = await own_db.fetchrow(
        "SELECT count(*) AS n, coalesce(sum(arr), 0) AS arr FROM account_health"
        " WHERE band <> 'healthy' AND lifecycle_status <> 'churned'"
    )
    assert (now["accounts_at_risk"], now["arr_at_risk"]) == (at_risk["n"], at_risk["arr"])
    episodes = await own_db.fetch("SELECT * FROM churn_episodes WHERE rechurned")
    assert [(e["account_id"], e["churned_on"]) for e in episodes] == [
        (ACCOUNTS["boomerang"], ANCHOR - timedelta(days=20))
    ]


@pytest.mark.parametrize("source", ["postgres", "own table"])
async def test_both_sources_answer_the_hand_computed_figures(
    source: str,
    history: None,
    stored_worker: WorkerProcess,
    table_worker: WorkerProcess,
) -> None:
    worker = stored_worker if source == "postgres" else table_worker
    document = load_document()
    async with httpx.AsyncClient(timeout=10) as client:
        lifecycle = check_answer(
            document, "/portfolio/lifecycle", await client.get(f"{worker.url}/portfolio/lifecycle")
        )
        portfolio = check_answer(
            document, "/portfolio", await client.get(f"{worker.url}/portfolio")
        )
        churned = check_answer(
            document, "/accounts", await client.get(f"{worker.url}/accounts?status=churned")
        )
        listed = check_answer(document, "/accounts", await client.get(f"{worker.url}/accounts"))
    assert without_prefix(lifecycle) == approx_answer(ANCHOR)
    assert lifecycle["rechurn_within_days"] == 90
    expected = expected_answer(ANCHOR)
    assert portfolio["churned"] == expected["churned"]
    assert portfolio["resurrected"] == expected["resurrected"]
    assert portfolio["accounts"] == IN_THE_BANDS["accounts"]
    assert sum(t["arr"] for t in portfolio["bands"].values()) == IN_THE_BANDS["arr"]
    gone = {a for a in ACCOUNTS.values() if expected_status(a) == "churned"}
    assert {a["account_id"] for a in churned["accounts"]} == gone
    assert not {a["account_id"] for a in listed["accounts"]} & gone


async def test_an_account_that_churns_resolves_its_open_alerts_with_reason_churned(
    history: None, stored_worker: WorkerProcess, kafka_bootstrap: str, own_db: asyncpg.Connection
) -> None:
    account = f"{PREFIX}alerted"
    today = datetime.now(UTC)

    def event(days_ago: float, **fields: Any) -> dict[str, Any]:
        at = (today - timedelta(days=days_ago)).isoformat()
        return {"event_id": uuid.uuid4().hex, "account_id": account, "occurred_at": at, **fields}

    due = (today + timedelta(days=20)).date().isoformat()
    await send_batches(
        kafka_bootstrap,
        stored_worker,
        {
            "accounts": [event(2, name="Alerted", arr=40_000.0, renewal_date=due)],
            "logins": [event(40, user_id="u1")],
            "tickets": [
                event(3, ticket_id=f"T{n}", status="opened", priority="urgent") for n in range(4)
            ],
            "nps": [event(1, respondent_id="r1", score=0, role="finance_executive")],
            "renewals": [event(1, contract_id="C1", status="upcoming", renewal_date=due, arr=4e4)],
        },
    )

    async def kinds(status: str) -> set[str]:
        rows = await own_db.fetch(
            "SELECT kind FROM alerts WHERE account_id = $1 AND status = $2",
            account,
            status,
        )
        return {r["kind"] for r in rows}

    async def firing() -> bool:
        return await kinds("firing") >= {"band_entered", "renewal_risk"}

    await wait_until(firing, "the unhealthy account never alerted", stored_worker)
    churn = event(0, contract_id="C1", status="churned", renewal_date=due, arr=40_000.0)
    await send_batches(kafka_bootstrap, stored_worker, {"renewals": [churn]})

    async def resolved() -> bool:
        return await kinds("resolved") == await kinds("firing")

    await wait_until(resolved, "the open alerts never resolved", stored_worker)
    reasons = await own_db.fetch(
        "SELECT payload ->> 'reason' AS reason, summary FROM alerts"
        " WHERE account_id = $1 AND status = 'resolved'",
        account,
    )
    assert {r["reason"] for r in reasons} == {"churned"}
    assert all("churned (40,000 ARR lost)" in r["summary"] for r in reasons)
    opened = await kinds("firing")
    await asyncio.sleep(5)  # re-evaluated every 2 s: nothing opens again
    last_resolve = await own_db.fetchval(
        "SELECT max(at) FROM alerts WHERE account_id = $1 AND status = 'resolved'", account
    )
    later = await own_db.fetch(
        "SELECT kind, status FROM alerts WHERE account_id = $1 AND at > $2", account, last_resolve
    )
    assert later == []
    assert await kinds("firing") == opened
