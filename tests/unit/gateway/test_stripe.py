"""Stripe subscription events mapped to renewal events, ARR normalised to a year."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.source import Unmappable
from models.events import RenewalEvent, RenewalStatus
from tests.unit.gateway.support import RECEIVED, fixture, source


def renewal(
    payload: dict[str, Any], config: str | None = None, tmp: Path | None = None
) -> RenewalEvent:
    mapped = source("stripe", config, tmp).map(payload, RECEIVED)
    [out] = mapped.events
    assert out.topic == "renewals"
    assert isinstance(out.event, RenewalEvent)
    return out.event


def item(unit_amount: int | None, quantity: int, interval: str, count: int = 1) -> dict[str, Any]:
    return {
        "object": "subscription_item",
        "price": {
            "object": "price",
            "recurring": {"interval": interval, "interval_count": count, "usage_type": "licensed"},
            "unit_amount": unit_amount,
        },
        "quantity": quantity,
    }


def with_items(*items: dict[str, Any], currency: str = "usd") -> dict[str, Any]:
    payload = fixture("stripe_subscription_deleted")
    payload["data"]["object"]["items"]["data"] = list(items)
    payload["data"]["object"]["currency"] = currency
    return payload


def test_a_period_change_at_the_same_amount_is_renewed() -> None:
    assert renewal(fixture("stripe_subscription_renewed")) == RenewalEvent(
        event_id="stripe:evt_1Pq2Rs3Tu4Vw5Xy6Za7Bc8De",
        account_id="cus_NffrFeUfNV2Hib",
        occurred_at=datetime(2026, 3, 2, tzinfo=UTC),
        contract_id="sub_1Mow8xLkdIwHu7ixZ9dA1b2c",
        status=RenewalStatus.RENEWED,
        renewal_date=date(2026, 3, 2),  # the day the old period ended
        arr=12000.0,  # $1,200.00 a seat a year x 10 seats
    )


def test_a_period_change_with_more_seats_is_expanded_on_newer_api_versions() -> None:
    # Periods on the items (API 2025-03-31 and later); the metered item counts 0;
    # an expanded customer object stands for its id.
    event = renewal(fixture("stripe_subscription_expanded"))
    assert (event.status, event.arr, event.new_arr) == (RenewalStatus.EXPANDED, 12000.0, 18000.0)
    assert (event.account_id, event.contract_id) == ("cus_Globex42", "sub_1QzExpandMonthly")
    assert event.renewal_date == date(2026, 4, 2)


def test_a_period_change_with_fewer_seats_is_contracted() -> None:
    payload = fixture("stripe_subscription_renewed")
    payload["data"]["previous_attributes"]["quantity"] = 12  # a single-item subscription
    event = renewal(payload)
    assert (event.status, event.arr, event.new_arr) == (RenewalStatus.CONTRACTED, 14400.0, 12000.0)


def test_a_deleted_subscription_is_churned_at_its_period_end() -> None:
    event = renewal(fixture("stripe_subscription_deleted"))
    assert event.status is RenewalStatus.CHURNED
    assert event.renewal_date == date(2027, 3, 2)
    assert event.arr == 2400.0  # $300 a quarter x 2 x 4 quarters


def test_an_upcoming_invoice_is_an_upcoming_renewal_at_the_next_period_start() -> None:
    event = renewal(fixture("stripe_invoice_upcoming"))
    assert (event.status, event.contract_id, event.renewal_date, event.arr) == (
        RenewalStatus.UPCOMING,
        "sub_1Mow8xLkdIwHu7ixZ9dA1b2c",
        date(2027, 3, 2),
        12000.0,
    )
    assert event.event_id == "stripe:evt_1Sd4Ee5Ff6Gg7Hh8Ii9Jj0Kk"


def test_an_upcoming_invoice_without_price_objects_uses_line_amounts_and_periods() -> None:
    # Newer API versions: the subscription under parent.subscription_details, and
    # lines carrying an amount and a period instead of a price object.
    payload = fixture("stripe_invoice_upcoming")
    invoice = payload["data"]["object"]
    del invoice["subscription"]
    invoice["parent"] = {
        "type": "subscription_details",
        "subscription_details": {"subscription": "sub_New"},
    }
    invoice["lines"]["data"] = [
        {
            "object": "line_item",
            "amount": 99000,
            "currency": "usd",
            "period": {"start": 1803945600, "end": 1803945600 + 31 * 86400},
            "parent": {
                "type": "subscription_item_details",
                "subscription_item_details": {"proration": False},
            },
        },
        {
            "object": "line_item",
            "amount": -5000,
            "currency": "usd",
            "period": {"start": 1801353600, "end": 1803945600},
            "parent": {
                "type": "subscription_item_details",
                "subscription_item_details": {"proration": True},
            },
        },
    ]
    event = renewal(payload)
    assert (event.contract_id, event.arr, event.renewal_date) == (
        "sub_New",
        11880.0,
        date(2027, 3, 2),
    )


@pytest.mark.parametrize(
    ("items", "currency", "arr"),
    [
        ([item(1000, 3, "month")], "usd", 360.0),
        ([item(1000, 3, "month", 3)], "usd", 120.0),
        ([item(50000, 1, "year", 2)], "usd", 250.0),
        ([item(700, 1, "week")], "usd", 364.0),
        ([item(100, 1, "day")], "usd", 365.0),
        ([item(5000, 2, "month")], "jpy", 120000.0),  # zero-decimal: amounts in yen
        ([item(10000, 1, "year")], "kwd", 10.0),  # three-decimal: thousandths
        ([item(1000, 1, "month"), item(20000, 2, "year")], "eur", 520.0),
    ],
)
def test_arr_is_price_times_quantity_normalised_to_a_year(
    items: list[dict[str, Any]], currency: str, arr: float
) -> None:
    assert renewal(with_items(*items, currency=currency)).arr == arr


def test_a_decimal_unit_amount_is_used_to_the_fraction_of_a_cent() -> None:
    fine = item(None, 1000, "month")
    fine["price"]["unit_amount_decimal"] = "12.5"
    assert renewal(with_items(fine)).arr == 1500.0


def test_a_tiered_price_is_refused_naming_the_field() -> None:
    with pytest.raises(Unmappable, match=r"data\.object\.items\.data\.0\.price\.unit_amount"):
        renewal(with_items(item(None, 1, "month")))


def test_an_unknown_interval_is_refused_naming_the_field() -> None:
    with pytest.raises(Unmappable, match=r"items\.data\.0\.price\.interval: expected day"):
        renewal(with_items(item(100, 1, "fortnight")))


@pytest.mark.parametrize(
    "previous",
    [
        {"metadata": {"plan": "gold"}},  # no period change
        {"current_period_end": 1772409600, "status": "trialing"},  # a trial turning paid
        {},
    ],
)
def test_updates_that_are_no_renewal_are_ignored(previous: dict[str, Any]) -> None:
    payload = fixture("stripe_subscription_renewed")
    payload["data"]["previous_attributes"] = previous
    mapped = source("stripe").map(payload, RECEIVED)
    assert (mapped.events, mapped.ignored) == ((), 1)


def test_other_event_types_are_ignored() -> None:
    mapped = source("stripe").map(fixture("stripe_charge_succeeded"), RECEIVED)
    assert (mapped.events, mapped.ignored) == ((), 1)


def test_the_account_can_come_from_subscription_metadata(tmp_path: Path) -> None:
    config = "stripe:\n  account:\n    path: data.object.metadata.account_id\n"
    assert renewal(fixture("stripe_subscription_renewed"), config, tmp_path).account_id == (
        "acme-corp"
    )


def test_the_account_can_come_from_a_customer_lookup_table(tmp_path: Path) -> None:
    config = """
stripe:
  account:
    path: data.object.customer
    lookup: {cus_NffrFeUfNV2Hib: acme-corp}
    when_unknown: ignore
"""
    assert renewal(fixture("stripe_invoice_upcoming"), config, tmp_path).account_id == "acme-corp"
    other = copy.deepcopy(fixture("stripe_invoice_upcoming"))
    other["data"]["object"]["customer"] = "cus_Unlisted"
    assert source("stripe", config, tmp_path).map(other, RECEIVED).ignored == 1


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("id",), None, "id: expected an id"),
        (("created",), "yesterday", "created: not an ISO 8601"),
        (("data", "object", "items"), None, r"data\.object\.items\.data: missing"),
        (("data", "object", "id"), None, r"data\.object\.id: expected an id"),
    ],
)
def test_an_unmappable_event_names_the_field(
    path: tuple[str, ...], value: object, message: str
) -> None:
    payload = fixture("stripe_subscription_deleted")
    node = payload
    for step in path[:-1]:
        node = node[step]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    with pytest.raises(Unmappable, match=message):
        source("stripe").map(payload, RECEIVED)
