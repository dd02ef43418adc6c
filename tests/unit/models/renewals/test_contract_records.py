"""The contract records a health carries: each contract's latest decision, whenever it arrived."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from models.events import RenewalEvent, RenewalStatus
from models.renewals.kpis import renewals_of
from models.scoring import score
from models.state import apply_events, new_state
from tests.unit.models.test_model_factories import ACCOUNT, MODEL, T0, ago, build, renewal

_ids = itertools.count()


def imported(contract: str, status: str, due: date, decided_on: date, arr: float) -> RenewalEvent:
    """A renewal record exported from a CRM today, decided long ago."""
    return RenewalEvent.model_validate(
        {
            "event_id": f"import-{next(_ids)}",
            "account_id": ACCOUNT,
            "occurred_at": ago(1),
            "contract_id": contract,
            "status": status,
            "renewal_date": due,
            "arr": arr,
            "decided_on": decided_on,
        }
    )


def test_a_health_carries_each_contracts_latest_status_by_contract_id() -> None:
    state = build(
        [
            renewal("c2", "upcoming", ago(40), date(2025, 4, 1), 20_000),
            renewal("c1", "upcoming", ago(30), date(2025, 2, 1), 10_000),
            renewal("c1", "expanded", ago(29), date(2025, 2, 1), 10_000, new_arr=15_000),
        ]
    )
    contracts = score(state, T0, MODEL).contracts
    assert contracts is not None
    assert [(c.contract_id, c.status, c.arr, c.new_arr) for c in contracts] == [
        ("c1", RenewalStatus.EXPANDED, 10_000, 15_000),
        ("c2", RenewalStatus.UPCOMING, 20_000, None),
    ]
    assert contracts[0].decided_at == ago(29)


def test_a_win_back_on_the_same_contract_is_a_late_renewal_in_any_arrival_order() -> None:
    churned = renewal("c1", "churned", ago(50), date(2025, 1, 10), 30_000)
    won_back = renewal("c1", "renewed", ago(20), date(2025, 1, 10), 30_000)
    for events in ([churned, won_back], [won_back, churned]):
        [record] = renewals_of(score(build(events), T0, MODEL))
        assert record.status is RenewalStatus.RENEWED
        assert record.decided_on == ago(20).date() > record.renewal_date


def test_an_imported_decision_dates_from_decided_on() -> None:
    state = build([imported("c0", "renewed", date(2024, 3, 1), date(2024, 2, 20), 8_000)])
    [record] = renewals_of(score(state, T0, MODEL))
    assert record.decided_on == date(2024, 2, 20)
    [contract] = score(state, T0, MODEL).contracts or []
    assert contract.decided_at == datetime(2024, 2, 20, tzinfo=UTC)


def test_a_later_decision_replaces_an_imported_one_and_not_the_reverse() -> None:
    old = imported("c0", "churned", date(2024, 9, 1), date(2024, 8, 1), 8_000)
    newer = renewal("c0", "renewed", ago(10), date(2024, 9, 1), 8_000)
    for events in ([old, newer], [newer, old]):
        [record] = renewals_of(score(build(events), T0, MODEL))
        assert record.status is RenewalStatus.RENEWED


def test_decided_on_after_the_event_is_rejected() -> None:
    with pytest.raises(ValidationError, match="decided_on"):
        imported("c0", "renewed", date(2025, 3, 1), date(2025, 3, 5), 8_000)


def test_healths_without_contracts_validate_and_carry_none() -> None:
    health = score(new_state(ACCOUNT), T0, MODEL)
    assert health.contracts == []
    older = health.model_dump(mode="json")
    del older["contracts"]
    assert type(health).model_validate(older).contracts is None


def test_folding_an_imported_history_counts_each_event_once() -> None:
    state = new_state(ACCOUNT)
    events = [imported("c0", "renewed", date(2024, 3, 1), date(2024, 2, 20), 8_000)]
    assert apply_events(state, events, MODEL, T0)[0] == 1
    assert apply_events(state, events, MODEL, T0)[0] == 0
