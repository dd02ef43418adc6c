"""Read a history file (format: see streams/demo/history.py) for the backtest.

Two passes keep memory proportional to the accounts, not the events: `scan`
finds the renewal outcomes (which decide when scores must be snapshotted)
and whether the file is already in time order; `replay_order` then streams
the validated events in `occurred_at` order — straight from the file when it
is sorted, else after sorting it in memory.

Lines that are not JSON, lack `topic`/`event`, name an unknown topic or fail
the topic's schema are counted and skipped, as the worker would send them to
the DLQ. Like the worker, the replay validates each line in one step into the
slotted records of `models.event_records`, and only a line those refuse (an
unknown field, or an error) goes through the topic's event model, which
decides whether it is valid.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
from pydantic import Field, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from models.event_records import (
    Foldable,
    LoginRecord,
    NpsRecord,
    RenewalRecord,
    TicketRecord,
)
from models.events import TOPIC_EVENTS, AccountProfile, RenewalEvent, RenewalStatus

OUTCOMES = frozenset(
    {
        RenewalStatus.CHURNED,
        RenewalStatus.RENEWED,
        RenewalStatus.EXPANDED,
        RenewalStatus.CONTRACTED,
    }
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one contract ended: its latest outcome status, at its first outcome event's time."""

    account_id: str
    contract_id: str
    status: RenewalStatus
    at: datetime


@dataclass(slots=True)
class Scan:
    outcomes: list[Outcome] = field(default_factory=list)
    lines: int = 0
    in_order: bool = True
    first_at: datetime | None = None
    last_at: datetime | None = None


class _LoginLine(TypedDict):
    topic: Literal["logins"]
    event: LoginRecord


class _TicketLine(TypedDict):
    topic: Literal["tickets"]
    event: TicketRecord


class _NpsLine(TypedDict):
    topic: Literal["nps"]
    event: NpsRecord


class _RenewalLine(TypedDict):
    topic: Literal["renewals"]
    event: RenewalRecord


class _AccountLine(TypedDict):
    topic: Literal["accounts"]
    event: AccountProfile


# One history line, parsed and validated in one call (other keys of the line are ignored).
_LINE = TypeAdapter[Any](
    Annotated[
        _LoginLine | _TicketLine | _NpsLine | _RenewalLine | _AccountLine,
        Field(discriminator="topic"),
    ]
)


def _decode(line: bytes) -> tuple[str, dict[str, Any]] | None:
    try:
        document = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(document, dict):
        return None
    topic, event = document.get("topic"), document.get("event")
    if topic not in TOPIC_EVENTS or not isinstance(event, dict):
        return None
    return topic, event


def _validate(topic: str, raw: dict[str, Any]) -> Foldable | None:
    try:
        return TOPIC_EVENTS[topic].model_validate(raw)
    except ValidationError:
        return None


def _lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        for line in source:
            if line.strip():
                yield line


def scan(path: Path) -> Scan:
    """Outcomes per (account, contract), time span and order of the history in `path`."""
    result = Scan()
    found: dict[tuple[str, str], Outcome] = {}
    previous: datetime | None = None
    for line in _lines(path):
        result.lines += 1
        decoded = _decode(line)
        at = _occurred_at(decoded[1]) if decoded is not None else None
        if decoded is None or at is None:
            continue
        if previous is not None and at < previous:
            result.in_order = False
        previous = at
        if result.first_at is None or at < result.first_at:
            result.first_at = at
        if result.last_at is None or at > result.last_at:
            result.last_at = at
        if decoded[0] != "renewals" or decoded[1].get("status") not in OUTCOMES:
            continue
        event = _validate(*decoded)
        if not isinstance(event, RenewalEvent):
            continue
        key = (event.account_id, event.contract_id)
        known = found.get(key)
        if known is None:
            found[key] = Outcome(key[0], key[1], event.status, event.occurred_at)
        else:
            # A corrected outcome: the latest status counts, from the first outcome's time.
            latest = event.status if event.occurred_at >= known.at else known.status
            found[key] = Outcome(key[0], key[1], latest, min(known.at, event.occurred_at))
    result.outcomes = sorted(found.values(), key=lambda o: (o.at, o.account_id, o.contract_id))
    return result


def event_of(line: bytes) -> Foldable | None:
    """The event on one history line, or None if the line is invalid."""
    try:
        event: Foldable = _LINE.validate_json(line)["event"]
        return event
    except ValidationError:
        decoded = _decode(line)
        return _validate(*decoded) if decoded is not None else None


def replay_order(path: Path, in_order: bool) -> Iterator[Foldable | None]:
    """Every line's event in `occurred_at` order (None for a line that is invalid)."""
    if in_order:
        for line in _lines(path):
            yield event_of(line)
        return
    events: list[Foldable] = []
    for line in _lines(path):
        event = event_of(line)
        if event is None:
            yield None
        else:
            events.append(event)
    events.sort(key=lambda e: e.occurred_at)
    yield from events


def _occurred_at(raw: dict[str, Any]) -> datetime | None:
    value = raw.get("occurred_at")
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
