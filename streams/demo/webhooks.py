"""The demo's renewals as Stripe events and its tickets as Zendesk trigger bodies (pure).

`healthscore demo --gateway URL` sends these to the gateway instead of
producing the events to Kafka (streams/demo/via_gateway.py signs and posts
them). Mapped by the gateway's own sources with the config `make run` gives
it (deploy/local/gateway-demo.yaml), each gives back the event the demo would
have produced, except for what the vendor's shape cannot carry:

- event_id: the gateway derives it from the vendor's ids:
  `stripe:evt_<the demo's id>`, `zendesk:<ticket>:<status>:<occurred_at>`;
- Stripe's `created` is whole Unix seconds: a renewal's occurred_at loses
  its fraction of a second;
- `new_arr` of a renewed contract (the same ARR) and of a churned one (0)
  is left out, which the score reads the same way;
- a ticket's customer effort: Zendesk has no such rating, so it is dropped.

Renewals no Stripe event expresses exactly go to Kafka directly instead
(`stripe_event` gives None): the renewal history imported at start
(`decided_on`, a CRM export's field), and an outcome whose ARR contradicts its
status (a contraction rounded to the same ARR).

The API shape is Stripe's before 2025-03-31 (the period on the
subscription, a price on each invoice line); amounts are in cents of USD on
one yearly price per contract.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

STRIPE_API_VERSION = "2024-06-20"
YEAR = timedelta(days=365)


def customer_id(account_id: str) -> str:
    return f"cus_{account_id}"


def stripe_event(event: dict[str, Any]) -> dict[str, Any] | None:
    """The Stripe event reporting the renewal `event`, or None when none says exactly that."""
    if event.get("decided_on") is not None:
        return None
    status, arr, new_arr = event["status"], event["arr"], event.get("new_arr")
    due = date.fromisoformat(event["renewal_date"])
    data: dict[str, Any]
    if status == "upcoming":
        kind, data = "invoice.upcoming", {"object": _upcoming_invoice(event, due)}
    elif status == "churned" and new_arr in (None, 0):
        ended = _created(event)
        subscription = _subscription(event, arr, due - YEAR, due)
        subscription |= {"status": "canceled", "canceled_at": ended, "ended_at": ended}
        kind, data = "customer.subscription.deleted", {"object": subscription}
    elif _consistent(status, arr, new_arr):
        after = arr if new_arr is None else new_arr
        previous: dict[str, Any] = {
            "current_period_start": _unix(due - YEAR),
            "current_period_end": _unix(due),
        }
        if after != arr:
            previous["items"] = _items(event["contract_id"], arr)
        subscription = _subscription(event, after, due, due + YEAR)
        kind = "customer.subscription.updated"
        data = {"object": subscription, "previous_attributes": previous}
    else:
        return None
    return {
        "id": f"evt_{event['event_id']}",
        "object": "event",
        "api_version": STRIPE_API_VERSION,
        "created": _created(event),
        "livemode": False,
        "pending_webhooks": 1,
        "type": kind,
        "data": data,
    }


def zendesk_trigger(event: dict[str, Any]) -> dict[str, Any]:
    """The body a Zendesk trigger (docs/sources/zendesk.md) sends for the ticket `event`;
    the organization's external id holds the account id."""
    body: dict[str, Any] = {
        "ticket_id": event["ticket_id"],
        "status": event["status"],
        "priority": event["priority"],
        "organization_external_id": event["account_id"],
        "occurred_at": event["occurred_at"],
    }
    if event["status"] == "resolved":
        csat = event.get("csat")
        body["satisfaction"] = "" if csat is None else str(csat)
    return body


def _consistent(status: str, arr: float, new_arr: float | None) -> bool:
    """Whether Stripe's comparison of the ARR before and after gives `status`."""
    if status == "renewed":
        return new_arr is None or round(new_arr, 2) == round(arr, 2)
    if new_arr is None:
        return False
    if status == "expanded":
        return round(new_arr, 2) > round(arr, 2)
    return status == "contracted" and round(new_arr, 2) < round(arr, 2)


def _created(event: dict[str, Any]) -> int:
    return int(datetime.fromisoformat(event["occurred_at"]).timestamp())


def _unix(day: date) -> int:
    return int(datetime.combine(day, time(0), UTC).timestamp())


def _cents(arr: float) -> int:
    return round(arr * 100)


def _price(contract_id: str, arr: float) -> dict[str, Any]:
    return {
        "id": f"price_{contract_id}_{_cents(arr)}",
        "object": "price",
        "billing_scheme": "per_unit",
        "currency": "usd",
        "recurring": {"interval": "year", "interval_count": 1, "usage_type": "licensed"},
        "type": "recurring",
        "unit_amount": _cents(arr),
        "unit_amount_decimal": str(_cents(arr)),
    }


def _items(contract_id: str, arr: float) -> dict[str, Any]:
    item = {
        "id": f"si_{contract_id}",
        "object": "subscription_item",
        "price": _price(contract_id, arr),
        "quantity": 1,
        "subscription": contract_id,
    }
    return {"object": "list", "data": [item]}


def _subscription(event: dict[str, Any], arr: float, start: date, end: date) -> dict[str, Any]:
    contract = event["contract_id"]
    return {
        "id": contract,
        "object": "subscription",
        "customer": customer_id(event["account_id"]),
        "currency": "usd",
        "status": "active",
        "cancel_at_period_end": False,
        "current_period_start": _unix(start),
        "current_period_end": _unix(end),
        "metadata": {"account_id": event["account_id"]},
        "items": _items(contract, arr),
    }


def _upcoming_invoice(event: dict[str, Any], due: date) -> dict[str, Any]:
    contract, arr = event["contract_id"], event["arr"]
    line = {
        "id": f"il_tmp_{contract}",
        "object": "line_item",
        "amount": _cents(arr),
        "currency": "usd",
        "period": {"start": _unix(due), "end": _unix(due + YEAR)},
        "price": _price(contract, arr),
        "proration": False,
        "quantity": 1,
        "subscription": contract,
        "type": "subscription",
    }
    return {
        "object": "invoice",
        "customer": customer_id(event["account_id"]),
        "subscription": contract,
        "subscription_details": {"metadata": {"account_id": event["account_id"]}},
        "currency": "usd",
        "amount_due": _cents(arr),
        "billing_reason": "upcoming",
        "next_payment_attempt": _unix(due),
        "period_start": _unix(due - YEAR),
        "period_end": _unix(due),
        "lines": {"object": "list", "data": [line]},
    }
