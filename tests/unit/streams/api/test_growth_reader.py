"""`GET /portfolio/growth`: the same list from PostgreSQL's view as from the worker's own table."""

from __future__ import annotations

from typing import Any

import pytest

from models.growth.figures import candidate_of
from models.health import Band, Health
from models.state import new_state
from streams.api.growth import GrowthQuery, GrowthReader
from streams.api.readers import HealthReader
from streams.topology.account_entry import AccountEntry
from tests.support import growth_history as fixture
from tests.unit.models.growth.test_growth_list import NOWS, healths

NOW = NOWS[0]


class GrowthView:
    """What the reader's queries get from PostgreSQL: the growth_candidates view's rows
    (best first) and the count of healthy accounts, for a segment and an owner."""

    def __init__(self, found: list[Health]) -> None:
        self.found = found

    def _chosen(self, segment: str | None, owner: str | None) -> list[Health]:
        return [
            h
            for h in self.found
            if (segment is None or h.segment == segment) and (owner is None or h.csm_owner == owner)
        ]

    async def fetch(self, sql: str, segment: str | None, owner: str | None) -> list[dict[str, Any]]:
        assert "FROM growth_candidates" in sql
        rows = [c for h in self._chosen(segment, owner) if (c := candidate_of(h)) is not None]
        rows.sort(key=lambda c: (-c.strength, c.arr is None, -(c.arr or 0), c.account_id))
        return [c.model_dump(mode="json") for c in rows]

    async def fetchval(self, sql: str, segment: str | None, owner: str | None) -> int:
        assert "band = 'healthy'" in sql
        return sum(
            1
            for h in self._chosen(segment, owner)
            if h.band is Band.HEALTHY and not h.current_lifecycle.churned
        )


def reader(table: dict[str, bytes], pool: Any) -> GrowthReader:
    async def get_pool() -> Any:
        return pool

    return GrowthReader(HealthReader(table, get_pool), fixture.growth_model().growth)


def table_of(found: list[Health]) -> dict[str, bytes]:
    return {h.account_id: AccountEntry(new_state(h.account_id), None, h).dump() for h in found}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, fixture.EXPECTED_SUMMARY),
        ({"segment": "enterprise"}, fixture.ENTERPRISE_SUMMARY),
        ({"csm_owner": "lee"}, fixture.LEE_SUMMARY),
    ],
)
async def test_postgres_and_the_workers_table_give_the_same_list(
    params: dict[str, str], expected: dict[str, Any]
) -> None:
    found = list(healths(NOW).values())
    query = GrowthQuery.parse(params)
    local = await reader(table_of(found), None).growth(query)
    remote = await reader({}, GrowthView(found)).growth(query)
    assert (local.records, remote.records) == ("worker", "postgresql")
    assert local.model_dump(exclude={"records"}) == remote.model_dump(exclude={"records"})
    fixture.assert_summary(remote.model_dump(mode="json")["summary"], expected)


async def test_the_list_is_best_first_and_limited() -> None:
    found = list(healths(NOW).values())
    answer = await reader(table_of(found), None).growth(GrowthQuery.parse({"limit": "3"}))
    assert [c.account_id for c in answer.candidates] == ["g-alpha", "g-charlie", "g-bravo"]
    assert answer.summary.candidates == 4


def test_empty_query_parameters_count_as_absent() -> None:
    assert GrowthQuery.parse({"segment": "", "csm_owner": "", "limit": ""}) == GrowthQuery()
