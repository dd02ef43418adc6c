"""`GET /portfolio/renewals`: the same desk from PostgreSQL's records as from the worker's own."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from models.health import Band, Contract, Health
from models.renewals.settings import RenewalSettings
from models.state import new_state
from streams.api.readers import HealthReader
from streams.api.renewals import RenewalReader
from streams.topology.account_entry import AccountEntry
from tests.support import renewal_history as fixture
from tests.unit.streams.api.test_openapi import HEALTH

TODAY = date(2026, 2, 10)
SETTINGS = RenewalSettings.model_validate(
    {
        "fiscal_year_start_month": fixture.start_month(TODAY),
        "target_share": fixture.TARGET_SHARE,
        "churn_calibration": {"source": "test", "bands": fixture.CALIBRATION},
    }
)


def fixture_healths() -> list[Health]:
    contracts: dict[str, list[Contract]] = defaultdict(list)
    bands: dict[str, Band] = {}
    for entry in fixture.history(TODAY):
        decided = datetime.combine(entry.decided_on or TODAY, time(9), UTC)
        contracts[entry.account_id].append(
            Contract(
                contract_id=entry.contract_id,
                status=entry.status,
                renewal_date=entry.renewal_date,
                arr=entry.arr,
                decided_at=decided,
            )
        )
        bands[entry.account_id] = entry.band
    return [
        HEALTH.model_copy(update={"account_id": a, "band": bands[a], "contracts": c})
        for a, c in contracts.items()
    ]


class RenewalRows:
    """The rows the reader's query gets: renewals joined with their account's band."""

    def __init__(self, healths: list[Health]) -> None:
        self.healths = healths
        self.since: date | None = None

    async def fetch(self, sql: str, since: date) -> list[dict[str, Any]]:
        self.since = since
        return [
            {
                "account_id": h.account_id,
                "contract_id": c.contract_id,
                "status": c.status.value,
                "renewal_date": c.renewal_date,
                "arr": c.arr,
                "decided_on": c.decided_at.date(),
                "band": h.band.value,
            }
            for h in self.healths
            for c in h.contracts or ()
            if c.renewal_date >= since or c.status == "upcoming"
        ]


def reader(table: dict[str, bytes], pool: Any) -> RenewalReader:
    async def get_pool() -> Any:
        return pool

    return RenewalReader(HealthReader(table, get_pool), SETTINGS, today=lambda: TODAY)


async def test_postgres_and_the_workers_table_give_the_same_desk() -> None:
    healths = fixture_healths()
    table = {h.account_id: AccountEntry(new_state(h.account_id), None, h).dump() for h in healths}
    local = await reader(table, None).desk()
    rows = RenewalRows(healths)
    remote = await reader({}, rows).desk()
    assert (local.records, remote.records) == ("worker", "postgresql")
    assert rows.since == date(2024, 10, 1)  # Q1 of the previous fiscal year
    assert local.model_dump(exclude={"records"}) == remote.model_dump(exclude={"records"})
    soon = remote.due_soon.model_dump(mode="json")
    assert soon["good_health_share"] == pytest.approx(141 / 198)
    assert remote.quarters[2].churned_accounts == 2
