"""Event factories shared by the health-model unit tests (and a check that they are valid)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from models.components import Context
from models.events import (
    AccountProfile,
    Event,
    LoginEvent,
    NpsEvent,
    RenewalEvent,
    Role,
    TicketEvent,
    TicketPriority,
    TicketStatus,
)
from models.model_config import HealthModel, load_model
from models.state import DAY_SECONDS, AccountState, apply_event, new_state

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MODEL = load_model()
ACCOUNT = "acme"
_ids = itertools.count()


def _id() -> str:
    return f"ev-{next(_ids)}"


def ago(days: float = 0, hours: float = 0) -> datetime:
    return T0 - timedelta(days=days, hours=hours)


def login(
    user: str, at: datetime, feature: str | None = None, role: Role | None = None
) -> LoginEvent:
    return LoginEvent(
        event_id=_id(), account_id=ACCOUNT, occurred_at=at, user_id=user, feature=feature, role=role
    )


def ticket(
    ticket_id: str,
    status: TicketStatus | str,
    at: datetime,
    priority: TicketPriority | str = TicketPriority.NORMAL,
    csat: int | None = None,
    effort: int | None = None,
) -> TicketEvent:
    return TicketEvent(
        event_id=_id(),
        account_id=ACCOUNT,
        occurred_at=at,
        ticket_id=ticket_id,
        status=TicketStatus(status),
        priority=TicketPriority(priority),
        csat=csat,
        effort=effort,
    )


def nps(respondent: str, score: int, at: datetime, role: Role | str | None = None) -> NpsEvent:
    return NpsEvent(
        event_id=_id(),
        account_id=ACCOUNT,
        occurred_at=at,
        respondent_id=respondent,
        score=score,
        role=Role(role) if role is not None else None,
    )


def renewal(
    contract: str,
    status: str,
    at: datetime,
    renewal_date: date,
    arr: float,
    new_arr: float | None = None,
) -> RenewalEvent:
    return RenewalEvent.model_validate(
        {
            "event_id": _id(),
            "account_id": ACCOUNT,
            "occurred_at": at,
            "contract_id": contract,
            "status": status,
            "renewal_date": renewal_date,
            "arr": arr,
            "new_arr": new_arr,
        }
    )


def profile(at: datetime = T0 - timedelta(days=300), **fields: object) -> AccountProfile:
    values: dict[str, object] = {"name": "Acme Corp", **fields}
    return AccountProfile.model_validate(
        {"event_id": _id(), "account_id": ACCOUNT, "occurred_at": at, **values}
    )


def build(events: Iterable[Event], now: datetime = T0, model: HealthModel = MODEL) -> AccountState:
    state = new_state(ACCOUNT)
    for event in events:
        apply_event(state, event, model, now)
    return state


def context(now: datetime = T0, model: HealthModel = MODEL) -> Context:
    seconds = int(now.timestamp())
    return Context(model=model, now=seconds, today=seconds // DAY_SECONDS)


def test_factories_build_a_state_from_every_event_kind() -> None:
    state = build(
        [
            profile(),
            login("u1", ago(1)),
            ticket("t1", "opened", ago(2)),
            nps("r1", 9, ago(3)),
            renewal("c1", "upcoming", ago(4), date(2025, 6, 1), 1000),
        ]
    )
    assert state.profile is not None
    assert (len(state.users), len(state.tickets), len(state.respondents)) == (1, 1, 1)
    assert len(state.contracts) == 1
