"""The demo company's renewals: announced, decided early or late live, and a past imported."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

from models.events import RenewalEvent
from models.renewals.quarters import quarter_of
from streams.demo.company import ANNOUNCE_DAYS, EARLIEST_DAYS, LATEST_DAYS, Company
from streams.demo.crm_import import imported_renewals

START = date(2025, 1, 1)


def renewals(company: Company, days: int) -> list[dict[str, Any]]:
    return [
        event
        for offset in range(days)
        for event in company.day(START + timedelta(days=offset))["renewals"]
    ]


def by_contract(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        found[event["contract_id"]].append(event)
    return found


def test_every_renewal_is_announced_first_with_its_date_and_arr() -> None:
    contracts = by_contract(renewals(Company(60, START, seed=4), 500))
    decided = [events for events in contracts.values() if len(events) == 2]
    assert len(decided) > 50
    for announced, outcome in decided:
        assert announced["status"] == "upcoming" and outcome["status"] != "upcoming"
        assert announced["renewal_date"] == outcome["renewal_date"]
        assert announced["arr"] == outcome["arr"]
        ahead = date.fromisoformat(announced["renewal_date"]) - date.fromisoformat(
            announced["occurred_at"][:10]
        )
        assert ahead.days <= ANNOUNCE_DAYS
    # Those decided without an announcement first: none.
    assert all(events[0]["status"] == "upcoming" for events in contracts.values())


def test_without_renewal_timing_each_renewal_is_decided_on_its_date() -> None:
    outcomes = [e for e in renewals(Company(60, START, seed=4), 500) if e["status"] != "upcoming"]
    assert outcomes
    assert all(e["occurred_at"][:10] == e["renewal_date"] for e in outcomes)


def test_with_renewal_timing_renewals_are_decided_early_or_late() -> None:
    company = Company(80, START, seed=4, renewal_timing=True)
    outcomes = [e for e in renewals(company, 500) if e["status"] != "upcoming"]
    leads = [
        (date.fromisoformat(e["renewal_date"]) - date.fromisoformat(e["occurred_at"][:10])).days
        for e in outcomes
    ]
    assert min(leads) >= -LATEST_DAYS and max(leads) <= EARLIEST_DAYS
    late = sum(1 for lead in leads if lead < 0)
    assert 0.1 < late / len(leads) < 0.4
    # Contracts renew yearly from their own date, however early or late decided.
    per_account: dict[str, list[date]] = defaultdict(list)
    for event in outcomes:
        per_account[event["account_id"]].append(date.fromisoformat(event["renewal_date"]))
    for dates in per_account.values():
        assert all((b - a).days == 365 for a, b in pairwise(dates))


def test_the_imported_past_is_valid_and_fills_every_quarter_of_two_years() -> None:
    company = Company(200, START, seed=4)
    at = datetime(2025, 1, 1, 8, tzinfo=UTC)
    imported = [RenewalEvent.model_validate(e) for e in imported_renewals(company, at)]
    assert all(e.occurred_at == at and e.decided_on is not None for e in imported)
    quarters = {quarter_of(e.renewal_date, 1) for e in imported}
    first = quarter_of(START, 1)
    assert {first.shifted(-n) for n in range(1, 8)} <= quarters
    statuses = {e.status.value for e in imported}
    assert statuses == {"renewed", "expanded", "contracted", "churned"}
    late = [e for e in imported if e.status != "churned" and e.decided_on > e.renewal_date]
    assert 0.1 < len(late) / len(imported) < 0.4
    accounts = defaultdict(dict)
    for e in imported:
        accounts[e.account_id][e.contract_id.rsplit("-", 1)[1]] = e.status.value
    won_back = [a for a, c in accounts.items() if c["p2"] == "churned" and c["p1"] != "churned"]
    assert won_back


def test_the_import_leaves_the_companys_own_events_as_they_were() -> None:
    plain, importing = Company(30, START, seed=4), Company(30, START, seed=4)
    imported_renewals(importing, datetime(2025, 1, 1, tzinfo=UTC))
    for offset in range(40):
        today = START + timedelta(days=offset)
        assert _without_ids(plain.day(today)) == _without_ids(importing.day(today))


def _without_ids(events: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {
        topic: [{k: v for k, v in e.items() if k != "event_id"} for e in items]
        for topic, items in events.items()
    }
