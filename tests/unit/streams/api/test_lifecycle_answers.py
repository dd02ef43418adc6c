"""The lifecycle answers from a worker's own table (no PostgreSQL), checked against the
hand-computed history of tests/support/lifecycle_history.py; tests/integration/test_lifecycle.py
checks the same figures through PostgreSQL's views."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import orjson
import pytest

from models.lifecycle.status import LifecycleStatus
from models.model_config import load_model
from models.state import new_state
from streams.api.bodies import AccountQuery
from streams.api.readers import HealthReader
from streams.topology.account_entry import AccountEntry
from tests.support.lifecycle_history import (
    EXPECTED_LIFECYCLES,
    IN_THE_BANDS,
    LAST_OFFSET,
    expected_answer,
    scored_history,
)

ANCHOR = date(2025, 10, 1)  # Q4; the churns before it are Q3's
NOW = datetime.combine(ANCHOR + timedelta(days=LAST_OFFSET + 3), time(15), UTC)


def local_reader() -> HealthReader:
    async def no_pool() -> None:
        return None

    table = {
        account: AccountEntry(new_state(account), None, health).dump()
        for account, health in scored_history(ANCHOR, NOW, load_model()).items()
    }
    return HealthReader(table, no_pool, rechurn_within_days=90)


async def test_the_lifecycle_answer_is_the_hand_computed_one() -> None:
    answer = orjson.loads((await local_reader().lifecycle()).model_dump_json())
    expected = expected_answer(ANCHOR)
    assert answer["rechurn_within_days"] == 90
    assert [q["quarter"] for q in answer["quarters"]] == ["2025-Q3", "2025-Q4"]
    for key, value in expected.items():
        if key == "quarters":
            assert answer[key] == [pytest.approx(q) for q in value]
        else:
            assert answer[key] == pytest.approx(value), key


async def test_the_portfolio_counts_churned_accounts_apart_from_the_bands() -> None:
    portfolio = await local_reader().portfolio()
    expected = expected_answer(ANCHOR)
    assert portfolio.churned.model_dump() == expected["churned"]
    assert portfolio.resurrected.model_dump() == expected["resurrected"]
    assert portfolio.accounts == IN_THE_BANDS["accounts"]
    assert sum(t.accounts for t in portfolio.bands.values()) == IN_THE_BANDS["accounts"]
    assert sum(t.arr for t in portfolio.bands.values()) == IN_THE_BANDS["arr"]


async def test_account_lists_leave_churned_accounts_out_unless_asked_for() -> None:
    reader = local_reader()
    churned = {n for n, e in EXPECTED_LIFECYCLES.items() if e.status == "churned"}
    listed = await reader.accounts(AccountQuery.parse({}))
    assert {h.account_id for h in listed} == set(EXPECTED_LIFECYCLES) - churned
    asked = await reader.accounts(AccountQuery.parse({"status": "churned"}))
    assert {h.account_id for h in asked} == churned
    assert all(h.current_lifecycle.status is LifecycleStatus.CHURNED for h in asked)
    critical = await reader.accounts(AccountQuery.parse({"band": "critical"}))
    assert not {h.account_id for h in critical} & churned
    back = await reader.accounts(AccountQuery.parse({"status": "resurrected"}))
    assert {h.account_id for h in back} == {"won_back", "returning_users"}
