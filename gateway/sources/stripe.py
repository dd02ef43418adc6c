"""Stripe subscription events -> `renewals`.

| event type                       | becomes                                                   |
|----------------------------------|-----------------------------------------------------------|
| customer.subscription.updated    | at a billing-period change: renewed, expanded or           |
|                                  | contracted, by the ARR before (`previous_attributes`) and  |
|                                  | after (`data.object`); other updates are ignored           |
| customer.subscription.deleted    | churned                                                   |
| invoice.upcoming                 | upcoming (Stripe sends it days before a renewal)          |
| anything else                    | ignored                                                   |

ARR = Σ over the subscription's items of unit price x quantity x periods per
year (interval day/week/month/year and interval_count: a 3-month price is paid
4 times a year), in currency units (Stripe amounts are in the smallest unit:
cents, or the unit itself for zero-decimal currencies such as JPY). Metered
items count 0 (their amount is not known in advance); discounts and taxes are
left out. No currency conversion is made.

contract_id = the subscription id; the event id is `stripe:<evt id>`. Both
API shapes are read: the period on the subscription (`current_period_end`,
API versions before 2025-03-31) or on its items (later versions).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime

from pydantic import Field

from gateway.signatures import DEFAULT_TOLERANCE_SECONDS, verify_stripe
from gateway.source import Mapped, Outgoing, Unmappable
from gateway.sources.common import (
    AccountRule,
    Accounts,
    Strict,
    at_path,
    build,
    event_id,
    identifier,
    number,
    timestamp,
)
from models.events import RenewalEvent, RenewalStatus

# Currencies whose Stripe amounts are in whole units, or in thousandths.
ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga"}
    | {"pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
PER_YEAR = {"day": 365.0, "week": 52.0, "month": 12.0, "year": 1.0}


class StripeConfig(Strict):
    enabled: bool = True
    # A customer id (through `lookup`/`lookup_file`, or as is), or a metadata field
    # such as data.object.metadata.account_id.
    account: AccountRule = AccountRule(path=["data.object.customer"])
    tolerance_seconds: int = Field(default=DEFAULT_TOLERANCE_SECONDS, ge=1, le=86_400)


class StripeSource:
    def __init__(
        self,
        config: StripeConfig,
        secrets: Sequence[bytes],
        accounts: Accounts,
        name: str = "stripe",
    ) -> None:
        self._config = config
        self._secrets = tuple(secrets)
        self._accounts = accounts
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> None:
        verify_stripe(headers, body, self._secrets, now, self._config.tolerance_seconds)

    def map(self, document: object, received_at: datetime) -> Mapped:
        if not isinstance(document, Mapping):
            raise Unmappable("body: expected a Stripe event (a JSON object)")
        kind = document.get("type")
        if not isinstance(kind, str):
            raise Unmappable("type: missing")
        obj = at_path(document, "data.object")
        if kind not in _HANDLERS:
            return Mapped((), 1)
        if not isinstance(obj, Mapping):
            raise Unmappable("data.object: missing")
        fields = _HANDLERS[kind](obj, at_path(document, "data.previous_attributes"))
        if fields is None:
            return Mapped((), 1)
        account = self._accounts.of(document)
        if account is None:
            return Mapped((), 1)
        values: dict[str, object] = {
            "event_id": event_id("stripe", identifier(document.get("id"), "id")),
            "account_id": account,
            "occurred_at": timestamp(document.get("created"), "created"),
            **fields,
        }
        origin = {"contract_id": "data.object.id", "renewal_date": "data.object.current_period_end"}
        return Mapped((Outgoing("renewals", build(RenewalEvent, values, origin, "")),))


def _updated(obj: Mapping[str, object], previous: object) -> dict[str, object] | None:
    if not isinstance(previous, Mapping) or not _period_changed(obj, previous):
        return None
    if previous.get("status") == "trialing":
        return None  # a trial turning paid is a new customer, not a renewal
    if obj.get("status") in ("canceled", "incomplete_expired"):
        return None
    after = _arr(obj, "data.object")
    before = _previous_arr(obj, previous)
    renewed_on = _period_end(previous, "data.previous_attributes")
    if renewed_on is None:
        renewed_on = _day(obj.get("current_period_start"), "data.object.current_period_start")
    fields: dict[str, object] = {
        "contract_id": identifier(obj.get("id"), "data.object.id"),
        "renewal_date": renewed_on or _required_period_end(obj),
        "arr": before,
    }
    if round(after, 2) > round(before, 2):
        fields |= {"status": RenewalStatus.EXPANDED, "new_arr": after}
    elif round(after, 2) < round(before, 2):
        fields |= {"status": RenewalStatus.CONTRACTED, "new_arr": after}
    else:
        fields |= {"status": RenewalStatus.RENEWED, "arr": after}
    return fields


def _deleted(obj: Mapping[str, object], previous: object) -> dict[str, object] | None:
    return {
        "contract_id": identifier(obj.get("id"), "data.object.id"),
        "status": RenewalStatus.CHURNED,
        "renewal_date": _required_period_end(obj),
        "arr": _arr(obj, "data.object"),
    }


def _upcoming(obj: Mapping[str, object], previous: object) -> dict[str, object] | None:
    subscription, where = obj.get("subscription"), "data.object.subscription"
    if subscription is None:
        where = "data.object.parent.subscription_details.subscription"
        subscription = at_path(obj, "parent.subscription_details.subscription")
    if subscription is None:
        return None  # an upcoming invoice of no subscription is not a renewal
    lines = at_path(obj, "lines.data")
    if not isinstance(lines, list):
        raise Unmappable("data.object.lines.data: missing")
    currency = obj.get("currency")
    arr = 0.0
    starts: list[date] = []
    for i, line in enumerate(lines):
        if not isinstance(line, Mapping):
            raise Unmappable(f"data.object.lines.data.{i}: expected an object")
        if not _recurring_line(line):
            continue
        arr += _line_arr(line, currency, f"data.object.lines.data.{i}")
        start = _day(at_path(line, "period.start"), f"data.object.lines.data.{i}.period.start")
        if start is not None:
            starts.append(start)
    renewal = min(starts) if starts else None
    for key in ("next_payment_attempt", "period_end"):
        if renewal is None and obj.get(key) is not None:
            renewal = _day(obj[key], f"data.object.{key}")
    if renewal is None:
        raise Unmappable("data.object.lines.data.0.period.start: no renewal date in the invoice")
    return {
        "contract_id": identifier(subscription, where),
        "status": RenewalStatus.UPCOMING,
        "renewal_date": renewal,
        "arr": _finite(round(arr, 2), "data.object.lines.data"),
    }


_HANDLERS = {
    "customer.subscription.updated": _updated,
    "customer.subscription.deleted": _deleted,
    "invoice.upcoming": _upcoming,
}


def _finite(value: float, field: str) -> float:
    if not math.isfinite(value):
        raise Unmappable(f"{field}: the prices add up to no finite ARR")
    return value


def _day(value: object, field: str) -> date | None:
    return None if value is None else timestamp(value, field).astimezone(UTC).date()


def _items(obj: Mapping[str, object], where: str) -> list[Mapping[str, object]]:
    items = at_path(obj, "items.data")
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise Unmappable(f"{where}.items.data: missing")
    return items


def _period_end(obj: Mapping[str, object], where: str) -> date | None:
    """The end of the current period: on the subscription, or (newer API versions)
    the earliest of its items'."""
    if obj.get("current_period_end") is not None:
        return _day(obj["current_period_end"], f"{where}.current_period_end")
    items = at_path(obj, "items.data")
    ends = [
        _day(item.get("current_period_end"), f"{where}.items.data.{i}.current_period_end")
        for i, item in enumerate(items if isinstance(items, list) else [])
        if isinstance(item, Mapping) and item.get("current_period_end") is not None
    ]
    return min((e for e in ends if e is not None), default=None)


def _required_period_end(obj: Mapping[str, object]) -> date:
    end = _period_end(obj, "data.object")
    if end is None:
        raise Unmappable("data.object.current_period_end: missing (nor on the items)")
    return end


def _period_changed(obj: Mapping[str, object], previous: Mapping[str, object]) -> bool:
    if "current_period_end" in previous or "current_period_start" in previous:
        return True
    if "items" not in previous:
        return False
    before = _period_end(previous, "data.previous_attributes")
    return before is not None and before != _period_end(obj, "data.object")


def _previous_arr(obj: Mapping[str, object], previous: Mapping[str, object]) -> float:
    if "items" in previous:
        return _arr(previous, "data.previous_attributes", obj.get("currency"))
    if "quantity" in previous or "plan" in previous:
        # Older single-item subscriptions mirror their item's plan and quantity at
        # the top level; previous_attributes then holds only those.
        items = _items(obj, "data.object")
        if len(items) == 1:
            item = {
                "plan": previous.get("plan", items[0].get("plan")),
                "price": None if "plan" in previous else items[0].get("price"),
                "quantity": previous.get("quantity", items[0].get("quantity")),
            }
            arr = _item_arr(item, obj.get("currency"), "data.previous_attributes")
            return _finite(round(arr, 2), "data.previous_attributes")
    return _arr(obj, "data.object")


def _arr(obj: Mapping[str, object], where: str, currency: object = None) -> float:
    currency = obj.get("currency", currency)
    items = _items(obj, where)
    total = sum(
        _item_arr(item, currency, f"{where}.items.data.{i}") for i, item in enumerate(items)
    )
    if not math.isfinite(total):
        raise Unmappable(f"{where}.items.data: the prices add up to no finite ARR")
    return round(total, 2)


def _item_arr(item: Mapping[str, object], currency: object, where: str) -> float:
    price = item.get("price") or item.get("plan")
    kind = "price" if item.get("price") else "plan"
    if not isinstance(price, Mapping):
        raise Unmappable(f"{where}.price: missing")
    recurring = price.get("recurring") if kind == "price" else price
    if not isinstance(recurring, Mapping):
        raise Unmappable(f"{where}.{kind}.recurring: not a recurring price")
    if recurring.get("usage_type") == "metered":
        return 0.0
    amount = _unit_amount(price, kind, f"{where}.{kind}")
    raw_quantity = item.get("quantity")
    quantity = 1.0 if raw_quantity is None else number(raw_quantity, f"{where}.quantity")
    if quantity < 0:
        raise Unmappable(f"{where}.quantity: expected a number >= 0, got {quantity!r}")
    per_year = _per_year(recurring, f"{where}.{kind}")
    return amount * quantity * per_year / _minor_units(price.get("currency", currency))


def _unit_amount(price: Mapping[str, object], kind: str, where: str) -> float:
    decimal = price.get("unit_amount_decimal") if kind == "price" else price.get("amount_decimal")
    whole = price.get("unit_amount") if kind == "price" else price.get("amount")
    field = "unit_amount" if kind == "price" else "amount"
    if decimal is not None:
        return number(decimal, f"{where}.{field}_decimal")
    if whole is not None:
        return number(whole, f"{where}.{field}")
    raise Unmappable(f"{where}.{field}: none (tiered and custom-amount prices are not supported)")


def _per_year(recurring: Mapping[str, object], where: str) -> float:
    interval = recurring.get("interval")
    count = recurring.get("interval_count", 1)
    if interval not in PER_YEAR:
        raise Unmappable(f"{where}.interval: expected day, week, month or year, got {interval!r}")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise Unmappable(f"{where}.interval_count: expected a whole number >= 1, got {count!r}")
    return PER_YEAR[str(interval)] / count


def _minor_units(currency: object) -> int:
    code = currency.lower() if isinstance(currency, str) else ""
    if code in ZERO_DECIMAL:
        return 1
    return 1000 if code in THREE_DECIMAL else 100


def _recurring_line(line: Mapping[str, object]) -> bool:
    """A line billing the subscription's next period: not a proration, not a one-off item."""
    if line.get("proration") is True:
        return False
    if at_path(line, "parent.subscription_item_details.proration") is True:
        return False
    return line.get("type") != "invoiceitem" and (
        at_path(line, "parent.type") != "invoice_item_details"
    )


def _line_arr(line: Mapping[str, object], currency: object, where: str) -> float:
    """An upcoming invoice line's ARR: from its price when the line carries one
    (API versions before 2025-03-31), else its amount over its period's length."""
    if isinstance(line.get("price"), Mapping):
        return _item_arr(line, currency, where)
    amount = line.get("amount")
    start, end = at_path(line, "period.start"), at_path(line, "period.end")
    if amount is None:
        raise Unmappable(f"{where}.amount: missing")
    amount = number(amount, f"{where}.amount")
    if not isinstance(start, int) or not isinstance(end, int) or end <= start:
        raise Unmappable(f"{where}.period: missing or empty")
    days = round((end - start) / 86_400)
    return amount * _periods_per_year(days) / _minor_units(line.get("currency", currency))


def _periods_per_year(days: int) -> float:
    """Calendar periods have uneven lengths: a 28-31-day period is a month."""
    for low, high, per_year in ((28, 31, 12.0), (89, 92, 4.0), (181, 184, 2.0), (365, 366, 1.0)):
        if low <= days <= high:
            return per_year
    return 365.0 / max(days, 1)
