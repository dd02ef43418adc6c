"""The API's local answers: a health evaluated but not yet written wins over the table's row."""

from __future__ import annotations

from typing import Any

from models.health import Band
from models.state import new_state
from streams.api.bodies import AccountQuery
from streams.api.readers import HealthReader
from streams.topology.account_entry import AccountEntry
from tests.unit.streams.api.test_openapi import HEALTH

OLD = HEALTH
NEW = HEALTH.model_copy(update={"score": 81.0, "band": Band.HEALTHY})
OTHER = HEALTH.model_copy(update={"account_id": "globex", "score": 12.0})


def row(health: Any) -> bytes:
    return AccountEntry(new_state(health.account_id), None, health).dump()


def reader(unwritten: dict[str, tuple[int, AccountEntry]]) -> HealthReader:
    async def no_pool() -> None:
        return None

    table = {"acme": row(OLD), "globex": row(OTHER)}
    return HealthReader(table, no_pool, lambda: unwritten)


def unwritten_new() -> dict[str, tuple[int, AccountEntry]]:
    return {"acme": (0, AccountEntry(new_state("acme"), None, NEW))}


async def test_an_account_answers_with_its_unwritten_health() -> None:
    assert await reader(unwritten_new()).account("acme") == NEW
    assert await reader({}).account("acme") == OLD


async def test_an_unwritten_entry_without_health_falls_back_to_the_row() -> None:
    bare = {"acme": (0, AccountEntry(new_state("acme"), None, None))}
    assert await reader(bare).account("acme") == OLD


async def test_lists_and_the_portfolio_count_an_unwritten_account_once() -> None:
    listed = await reader(unwritten_new()).accounts(AccountQuery.parse({}))
    assert sorted((h.account_id, h.score) for h in listed) == [("acme", 81.0), ("globex", 12.0)]
    portfolio = await reader(unwritten_new()).portfolio()
    assert portfolio.accounts == 2
    assert portfolio.bands[Band.HEALTHY].accounts == 1
