"""The live demo's renewal history before it starts, as a CRM export would bring it in.

Each account renewed yearly before: the two renewals before its next one are
imported as `renewals` events sent when the demo starts, each with the day it
was decided (`decided_on`), mostly a few weeks early, a quarter of them late.
Some were expansions or contractions; some accounts churned a contract and
were won back the next year (resurrected); some had an add-on contract that
churned. So the renewal desk has every quarter of the previous fiscal year to
show from the first minute.

Drawn from a random generator of its own: the company's events stay the same.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from streams.demo.company import Account, Company

YEARS_BACK = 2
WON_BACK_SHARE = 0.08  # accounts that churned a year's contract and came back
ADD_ON_SHARE = 0.12  # accounts with an add-on contract that churned
NEW_ARR = {"churned": 0.0, "renewed": 1.0, "expanded": 1.25, "contracted": 0.75}


def imported_renewals(company: Company, at: datetime) -> list[dict[str, Any]]:
    """Past renewals of the company's accounts, as events occurring at `at`."""
    rng = random.Random(f"crm-import-{company.seed}")
    today = at.date()
    events: list[dict[str, Any]] = []
    for account in company.accounts:
        won_back = rng.random() < WON_BACK_SHARE
        arr = account.arr
        for years in range(1, YEARS_BACK + 1):
            due = account.renewal_date - timedelta(days=365 * years)
            arr = round(arr * rng.uniform(0.85, 1.0), -2)
            if won_back and years == YEARS_BACK:
                status, decided = "churned", due - timedelta(days=rng.randint(10, 60))
            else:
                status, decided = _retained(rng), _decided(rng, due)
            new_arr = round(arr * NEW_ARR[status] * rng.uniform(0.9, 1.1), -2)
            events.append(
                _event(account, f"p{years}", status, due, (arr, new_arr), decided, today, at)
            )
        if rng.random() < ADD_ON_SHARE:
            due = account.renewal_date - timedelta(days=rng.randint(30, 365 * YEARS_BACK - 30))
            add_on = round(account.arr * rng.uniform(0.1, 0.3), -2)
            decided = due - timedelta(days=rng.randint(0, 45))
            events.append(
                _event(account, "addon", "churned", due, (add_on, 0.0), decided, today, at)
            )
    return events


def _retained(rng: random.Random) -> str:
    return rng.choices(("renewed", "expanded", "contracted"), weights=(70, 18, 12))[0]


def _decided(rng: random.Random, due: date) -> date:
    if rng.random() < 0.25:
        return due + timedelta(days=rng.randint(1, 25))
    return due - timedelta(days=rng.randint(0, 30))


def _event(
    account: Account,
    contract: str,
    status: str,
    due: date,
    arr: tuple[float, float],  # before and after the renewal
    decided: date,
    today: date,
    at: datetime,
) -> dict[str, Any]:
    return {
        # One event per contract, and not from the account's sequence: its ids stay.
        "event_id": f"{account.account_id}-import-{contract}",
        "account_id": account.account_id,
        "occurred_at": at.isoformat(),
        "contract_id": f"{account.account_id}-{contract}",
        "status": status,
        "renewal_date": due.isoformat(),
        "arr": arr[0],
        "new_arr": arr[1],
        "decided_on": min(decided, today).isoformat(),
    }
