"""Renewal records and the renewal desk's SQL views against the real PostgreSQL.

The worker's path (Kafka, the API) is test_renewal_desk.py; here healths are
written straight through the storage agent's batch write.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg
import pytest

from models.health import Band, Contract, Health
from models.renewals.settings import RenewalSettings
from sinks.postgres import write_health
from sinks.renewals import write_renewal_settings
from streams.topology.storage import Database
from tests.integration.renewal_views import desk_from_views
from tests.support import renewal_history as fixture
from tests.support.servers import scratch_database

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)


@pytest.fixture
async def pool(pg_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    """A migrated pool on a database of this test's own: the views sum every record."""
    with contextlib.ExitStack() as stack:
        dsn = await asyncio.to_thread(stack.enter_context, scratch_database(pg_dsn))
        database = Database(dsn)
        try:
            yield await database.wait_for_pool()
        finally:
            await database.close()
            await asyncio.to_thread(stack.close)


def contract(contract_id: str, status: str, decided: datetime, **fields: Any) -> Contract:
    values: dict[str, Any] = {
        "contract_id": contract_id,
        "status": status,
        "renewal_date": date(2026, 5, 1),
        "arr": 10_000.0,
        "decided_at": decided,
        **fields,
    }
    return Contract.model_validate(values)


def health(account: str, contracts: list[Contract] | None, **fields: Any) -> Health:
    values: dict[str, Any] = {
        "account_id": account,
        "score": 80.0,
        "band": Band.HEALTHY,
        "components": {},
        "drivers": [],
        "confidence": 0.5,
        "updated_at": NOW,
        "model_version": "test",
        "contracts": contracts,
        **fields,
    }
    return Health.model_validate(values)


async def renewals(pool: asyncpg.Pool) -> list[tuple[str, str, str, float]]:
    rows = await pool.fetch(
        "SELECT account_id, contract_id, status, arr FROM renewals ORDER BY 1, 2"
    )
    return [(r["account_id"], r["contract_id"], r["status"], r["arr"]) for r in rows]


async def test_records_are_kept_whatever_order_healths_come_in_and_never_dropped(
    pool: asyncpg.Pool,
) -> None:
    t = NOW - timedelta(days=3)
    upcoming = health("acme", [contract("c1", "upcoming", t)])
    renewed = health(
        "acme",
        [contract("c1", "renewed", t + timedelta(hours=1), new_arr=12_000.0)],
        updated_at=NOW + timedelta(seconds=1),
    )
    pruned = health("acme", [], updated_at=NOW + timedelta(seconds=2))
    await write_health(pool, [renewed, upcoming])  # one batch, out of order
    await write_health(pool, [upcoming])  # replayed later
    await write_health(pool, [pruned, health("old", None)])
    assert await renewals(pool) == [("acme", "c1", "renewed", 10_000.0)]
    stored = await pool.fetchval("SELECT contracts FROM account_health WHERE account_id = 'acme'")
    assert stored == []
    assert await pool.fetchval("SELECT contracts FROM account_health WHERE account_id = 'old'") is (
        None
    )


async def test_a_record_decided_at_the_same_second_keeps_the_states_order(
    pool: asyncpg.Pool,
) -> None:
    t = NOW - timedelta(days=1)
    # The state keeps the later status code (churned after renewed) at equal times.
    await write_health(pool, [health("acme", [contract("c1", "churned", t)])])
    await write_health(pool, [health("acme", [contract("c1", "renewed", t)])])
    assert await renewals(pool) == [("acme", "c1", "churned", 10_000.0)]


async def test_the_views_count_the_settings_and_calibration_the_worker_wrote(
    pool: asyncpg.Pool,
) -> None:
    settings = RenewalSettings.model_validate(
        {"fiscal_year_start_month": 4, "window_days": 30, "target_share": 0.8}
    )
    await write_renewal_settings(pool, settings, "2026.1")
    await write_renewal_settings(pool, settings, "2026.1")  # every start: replaced, not added
    row = await pool.fetchrow("SELECT * FROM renewal_calendar")
    assert row is not None
    assert (row["fiscal_year_start_month"], row["window_days"], row["target_share"]) == (4, 30, 0.8)
    bands = await pool.fetch("SELECT * FROM renewal_calibration ORDER BY band")
    assert [(r["band"], r["renewals"], r["churned"]) for r in bands] == [
        ("at_risk", 67, 20),
        ("critical", 24, 24),
        ("healthy", 71, 7),
    ]
    assert bands[2]["churn_probability"] == pytest.approx(7 / 71)


async def test_the_views_give_the_hand_computed_figures(pool: asyncpg.Pool) -> None:
    today = NOW.date()
    settings = RenewalSettings.model_validate(
        {
            "fiscal_year_start_month": fixture.start_month(today),
            "target_share": fixture.TARGET_SHARE,
            "churn_calibration": {"source": "test", "bands": fixture.CALIBRATION},
        }
    )
    await write_renewal_settings(pool, settings, "test")
    accounts: dict[str, list[Contract]] = {}
    bands: dict[str, Band] = {}
    for entry in fixture.history(today):
        decided = datetime.combine(entry.decided_on or today, time(12), UTC)
        accounts.setdefault(entry.account_id, []).append(
            contract(
                entry.contract_id,
                entry.status,
                decided,
                renewal_date=entry.renewal_date,
                arr=entry.arr,
            )
        )
        bands[entry.account_id] = entry.band
    await write_health(
        pool, [health(account, found, band=bands[account]) for account, found in accounts.items()]
    )
    async with pool.acquire() as connection:
        found = await desk_from_views(connection)
    assert found["labels"] == [q.label for q in fixture.frame(today).quarters]
    expected = {
        "quarters": fixture.EXPECTED_QUARTERS,
        "quarter_to_date": fixture.EXPECTED_QUARTER_TO_DATE,
        "year_to_date": fixture.EXPECTED_YEAR_TO_DATE,
        "forecast": fixture.EXPECTED_FORECAST,
        "due_soon": fixture.EXPECTED_DUE_SOON,
    }
    assert fixture.flat({k: found[k] for k in expected}) == pytest.approx(fixture.flat(expected))
