"""Turn one raw Kafka message into events, or into reasons for rejecting it.

Pure code: the stream workers call it for every input message and send each
rejection to `health.dlq`. A rejection is a value, never an exception.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from models.event_records import TOPIC_RECORDS, Foldable
from models.events import EXPIRING_TOPICS, MAX_BATCH_EVENTS, TOPIC_EVENTS, Event

# The validators of one event and of a batch of events, per topic.
_SINGLES = {topic: model.__pydantic_validator__ for topic, model in TOPIC_EVENTS.items()}
_BATCHES = {
    topic: TypeAdapter(list[model]).validator  # type: ignore[valid-type]
    for topic, model in TOPIC_EVENTS.items()
}
# The same, giving records where the topic has them (see models.event_records).
_RECORD_SINGLES = _SINGLES | {t: TypeAdapter(r).validator for t, r in TOPIC_RECORDS.items()}
_RECORD_BATCHES = _BATCHES | {
    t: TypeAdapter(list[r]).validator  # type: ignore[valid-type]
    for t, r in TOPIC_RECORDS.items()
}

# The fields the contract names, per topic: a tolerant reader drops any other
# before validating (the models themselves forbid them: see `strict_fields`).
KNOWN_FIELDS = {topic: frozenset(model.model_fields) for topic, model in TOPIC_EVENTS.items()}

MAX_MESSAGE_BYTES = 8 * 1024 * 1024
MAX_FUTURE = timedelta(hours=24)
_DETAIL_LIMIT = 1000


class RejectReason(StrEnum):
    TOO_LARGE = "too_large"
    INVALID_JSON = "invalid_json"
    BATCH_TOO_LARGE = "batch_too_large"
    EMPTY_BATCH = "empty_batch"
    SCHEMA_VIOLATION = "schema_violation"
    KEY_MISMATCH = "key_mismatch"
    FUTURE_TIMESTAMP = "future_timestamp"
    TOO_OLD = "too_old"
    # Valid input the worker failed on (a bug): kept in the DLQ to replay after a fix.
    PROCESSING_ERROR = "processing_error"
    # An output record (health.scores, health.alerts) that a storage or delivery
    # agent cannot use: not JSON of the expected shape, or refused by PostgreSQL
    # as data (a constraint or type error), which retrying cannot fix.
    UNUSABLE_OUTPUT = "unusable_output"


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a message, or one event inside a batch, was not accepted.

    `value` is the original message bytes; for one event of a batch it is that
    event re-encoded as compact JSON and `batch_index` says where it stood.
    """

    reason: RejectReason
    detail: str
    value: bytes | None
    batch_index: int | None = None


@dataclass(slots=True)
class ParsedMessage:
    events: list[Foldable] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    is_batch: bool = False
    # Accepted events that carried fields the contract does not name (ignored).
    unknown_fields: int = 0


def parse_message(
    topic: str,
    key: bytes | None,
    value: bytes | None,
    now: datetime,
    max_age: timedelta,
    records: bool = False,
    strict_fields: bool = False,
) -> ParsedMessage:
    """Validate a message of input `topic` (unprefixed) received at `now`.

    Events older than `max_age` are rejected on the expiring topics only:
    they could no longer affect any window. With `records`, the events of a
    message that is valid throughout come as the records of
    `models.event_records` where their topic has them (what a worker folds).

    Fields the contract does not name are dropped and the events that carried
    them counted in `unknown_fields` (a tolerant reader); with `strict_fields`
    such an event is a `schema_violation`.
    """
    if value is not None:
        # The fast path's validators forbid unknown fields: a message carrying
        # any costs nothing extra to detect, and takes the way below.
        accepted = _accept_clean(topic, key, value, now, max_age, records)
        if accepted is not None:
            return accepted
    parsed = ParsedMessage()
    if value is None or len(value) > MAX_MESSAGE_BYTES:
        size = 0 if value is None else len(value)
        parsed.rejections.append(
            Rejection(
                RejectReason.TOO_LARGE if size else RejectReason.INVALID_JSON,
                f"value of {size} bytes (limit {MAX_MESSAGE_BYTES})",
                value,
            )
        )
        return parsed
    try:
        document = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        parsed.rejections.append(Rejection(RejectReason.INVALID_JSON, _clip(str(exc)), value))
        return parsed
    known = None if strict_fields else KNOWN_FIELDS.get(topic)
    if isinstance(document, list) and len(document) > MAX_BATCH_EVENTS:
        known = None  # rejected whole below
    if known is not None:
        # Unknown fields dropped, the whole message may take the fast path after all.
        stripped, carried = _without_unknown(document, known)
        if any(carried):
            accepted = _accept_clean(topic, key, value, now, max_age, records, stripped)
            if accepted is not None:
                accepted.unknown_fields = sum(carried)
                return accepted
    else:
        stripped, carried = document, None
    if isinstance(document, list):
        parsed.is_batch = True
        if len(document) > MAX_BATCH_EVENTS:
            parsed.rejections.append(
                Rejection(
                    RejectReason.BATCH_TOO_LARGE,
                    f"{len(document)} events in one message (limit {MAX_BATCH_EVENTS})",
                    value,
                )
            )
            return parsed
        if not document:
            parsed.rejections.append(Rejection(RejectReason.EMPTY_BATCH, "empty array", value))
            return parsed
        # One validator call for the whole batch; only a batch with a bad event
        # pays for validating its events one by one.
        try:
            valid = _BATCHES[topic].validate_python(stripped)
        except ValidationError:
            valid = None
        for index, item in enumerate(document):
            before = len(parsed.events)
            if valid is None:
                _accept(parsed, topic, key, stripped[index], now, max_age, index, None, item)
            else:
                _check(parsed, topic, key, valid[index], now, max_age, index, item, None)
            if carried and carried[index] and len(parsed.events) > before:
                parsed.unknown_fields += 1
    else:
        _accept(parsed, topic, key, stripped, now, max_age, None, value, document)
        if carried and carried[0] and parsed.events:
            parsed.unknown_fields = 1
    return parsed


def _without_unknown(document: object, known: frozenset[str]) -> tuple[Any, list[bool]]:
    """`document` without the fields not in `known`, and which of its events had any.

    One event object, or a batch array of them; what is not an object is kept
    as it is (for the schema check to reject).
    """
    items = document if isinstance(document, list) else [document]
    kept: list[object] = []
    carried = []
    for item in items:
        if isinstance(item, dict) and not known.issuperset(item):
            kept.append({name: v for name, v in item.items() if name in known})
            carried.append(True)
        else:
            kept.append(item)
            carried.append(False)
    return (kept if isinstance(document, list) else kept[0]), carried


def _accept_clean(
    topic: str,
    key: bytes | None,
    value: bytes,
    now: datetime,
    max_age: timedelta,
    records: bool,
    document: object = None,
) -> ParsedMessage | None:
    """The common case at a fraction of the cost: a message whose every event is accepted.

    One validator call straight from the bytes, for a single event or a whole
    batch, and the key decoded once rather than each account_id encoded. None,
    for anything else, leaves the message to the general path, which says
    exactly what is wrong with it. Given the `document` already parsed from
    `value` (with unknown fields dropped), that is validated instead.
    """
    if value.startswith(b"{"):
        validator = (_RECORD_SINGLES if records else _SINGLES).get(topic)
    elif value.startswith(b"["):
        validator = (_RECORD_BATCHES if records else _BATCHES).get(topic)
    else:
        return None
    if validator is None or key is None or len(value) > MAX_MESSAGE_BYTES:
        return None
    try:
        if document is None:
            valid = validator.validate_json(value)
        else:
            valid = validator.validate_python(document)
        account_id = key.decode()
    except (ValidationError, UnicodeDecodeError):
        return None
    is_batch = isinstance(valid, list)
    events: list[Foldable] = valid if is_batch else [valid]
    # A naive `now` the general path raises for, as it always did.
    if not events or len(events) > MAX_BATCH_EVENTS or now.utcoffset() is None:
        return None
    if not _all_in_bounds(events, account_id, _window(now, max_age), topic in EXPIRING_TOPICS):
        return None
    if topic in FLOAT_FIELDS and not _all_finite(events, FLOAT_FIELDS[topic]):
        return None
    return ParsedMessage(events, is_batch=is_batch)


@dataclass(slots=True)
class _Window:
    """The occurred_at range accepted at one `now`, converted once into each zone seen.

    Datetimes sharing a tzinfo object compare field by field, several times
    faster than across zones; parsed offsets are fixed, so the answer is the same.
    """

    now: datetime
    max_age: timedelta
    # zone -> (latest, earliest) in it; None where the bounds overflow datetime.
    bounds: dict[tzinfo | None, tuple[datetime, datetime] | None] = field(default_factory=dict)

    def in_zone(self, zone: tzinfo | None) -> tuple[datetime, datetime] | None:
        if zone in self.bounds:
            return self.bounds[zone]
        try:
            latest = (self.now + MAX_FUTURE).astimezone(zone)
            earliest = (self.now - self.max_age).astimezone(zone)
            found: tuple[datetime, datetime] | None = (latest, earliest)
        except OverflowError:
            found = None  # left to the general path
        self.bounds[zone] = found
        return found


# Callers parse many messages at one `now`: the window is worked out once for them.
_last_window = _Window(datetime.min, timedelta())


def _window(now: datetime, max_age: timedelta) -> _Window:
    global _last_window
    if _last_window.now is not now or _last_window.max_age != max_age:
        _last_window = _Window(now, max_age)
    return _last_window


def _all_in_bounds(
    events: list[Foldable], account_id: str, window: _Window, expiring: bool
) -> bool:
    """Whether every event passes `_check`: the key's account, and time within bounds."""
    zone: tzinfo | None = None
    bounds = None
    for event in events:
        occurred_at = event.occurred_at
        if bounds is None or occurred_at.tzinfo is not zone:
            zone = occurred_at.tzinfo
            bounds = window.in_zone(zone)
            if bounds is None:
                return False
        latest, earliest = bounds
        if (
            event.account_id != account_id
            or occurred_at > latest
            or (expiring and occurred_at < earliest)
        ):
            return False
    return True


# pydantic's JSON parser reads NaN, Infinity and 1e400, which orjson rejects as
# invalid JSON: the fast path leaves any batch with such a number to orjson.
# The float fields of each topic's events (a unit test checks the list is complete):
FLOAT_FIELDS = {"renewals": ("arr", "new_arr"), "accounts": ("arr",)}


def _all_finite(events: list[Foldable], fields: tuple[str, ...]) -> bool:
    for event in events:
        for name in fields:
            number = getattr(event, name)
            if number is not None and not math.isfinite(number):
                return False
    return True


def _accept(
    parsed: ParsedMessage,
    topic: str,
    key: bytes | None,
    item: object,
    now: datetime,
    max_age: timedelta,
    index: int | None,
    original: bytes | None,
    as_sent: object = None,
) -> None:
    """Validate `item` (`as_sent` with unknown fields dropped, if it had any)."""
    if as_sent is None:
        as_sent = item
    if not isinstance(item, dict):
        _reject(
            parsed,
            RejectReason.SCHEMA_VIOLATION,
            f"expected a JSON object, got {type(item).__name__}",
            as_sent,
            index,
            original,
        )
        return
    try:
        event = TOPIC_EVENTS[topic].model_validate(item)
    except ValidationError as exc:
        _reject(
            parsed,
            RejectReason.SCHEMA_VIOLATION,
            describe_validation_error(exc),
            as_sent,
            index,
            original,
        )
        return
    _check(parsed, topic, key, event, now, max_age, index, as_sent, original)


def _reject(
    parsed: ParsedMessage,
    reason: RejectReason,
    detail: str,
    item: object,
    index: int | None,
    original: bytes | None,
) -> None:
    raw = original if original is not None else orjson.dumps(item)
    parsed.rejections.append(Rejection(reason, _clip(detail), raw, index))


def _check(
    parsed: ParsedMessage,
    topic: str,
    key: bytes | None,
    event: Event,
    now: datetime,
    max_age: timedelta,
    index: int | None,
    item: object,
    original: bytes | None,
) -> None:
    """The checks beyond the schema: the key, and event time within bounds."""
    if key is None or key != event.account_id.encode():
        reason = RejectReason.KEY_MISMATCH
        detail = f"message key {_show_key(key)} is not the event's account_id"
    elif event.occurred_at > now + MAX_FUTURE:
        reason = RejectReason.FUTURE_TIMESTAMP
        detail = (
            f"occurred_at {event.occurred_at.isoformat()} is more than 24 h ahead "
            f"of {now.isoformat()}"
        )
    elif topic in EXPIRING_TOPICS and event.occurred_at < now - max_age:
        reason = RejectReason.TOO_OLD
        detail = (
            f"occurred_at {event.occurred_at.isoformat()} is older than the longest window "
            f"({max_age.days} days)"
        )
    else:
        parsed.events.append(event)
        return
    _reject(parsed, reason, detail, item, index, original)


def describe_validation_error(exc: ValidationError) -> str:
    """Where each problem is and what it is, one per part; never the input values."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in error["loc"]) or "(value)"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def _show_key(key: bytes | None) -> str:
    if key is None:
        return "(none)"
    return repr(key[:140].decode("utf-8", "replace"))


def _clip(text: str) -> str:
    return text if len(text) <= _DETAIL_LIMIT else text[: _DETAIL_LIMIT - 1] + "…"
