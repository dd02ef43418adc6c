"""`POST /v1/events/{topic}`: our own events over HTTP, checked as a worker checks them.

The body is one event object or a JSON array of up to 10,000 (SPEC §1), of
any accounts. The events are grouped per account into the batch envelopes
that will be produced, and each envelope goes through the very validation a
worker applies to an input message (`models.validation.parse_message`: the
schemas, the tolerant reader or HS_STRICT_FIELDS, the event-time bounds).
One bad event rejects the whole request, naming every bad event by its
position, and nothing is produced: unlike a Kafka batch, an HTTP request can
be answered, corrected and sent again.

The envelopes carry the events as sent (re-encoded compactly), fields the
contract does not name included, so a worker reads exactly what was checked.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson

from gateway.messages import Delivery, Message
from gateway.rejections import InvalidEvents
from models.envelopes import EnvelopeError, split_batch
from models.events import MAX_BATCH_EVENTS
from models.validation import MAX_MESSAGE_BYTES, parse_message

# The bad events named in a 400 reply; the count of the rest is given.
SHOWN_PROBLEMS = 20


def deliver_own_events(
    topic: str, document: object, now: datetime, max_age: timedelta, strict_fields: bool
) -> Delivery:
    """The messages carrying the events of `document` (the parsed body) to `topic`;
    raise InvalidEvents naming the bad ones if any event would be rejected."""
    if type(document) is dict:
        alone = _one_event(topic, document, now, max_age, strict_fields)
        if alone is not None:
            return alone
    return _any_events(topic, document, now, max_age, strict_fields)


def _one_event(
    topic: str, event: dict[str, object], now: datetime, max_age: timedelta, strict_fields: bool
) -> Delivery | None:
    """`_any_events` of one valid event object, in fewer steps: its one envelope,
    checked by the same validation; None for anything else (which `_any_events` says)."""
    account = event.get("account_id")
    if type(account) is not str:
        return None
    key = account.encode()
    value = orjson.dumps([event])  # split_batch's envelope of the one event
    if len(value) > MAX_MESSAGE_BYTES:
        return None
    parsed = parse_message(topic, key, value, now, max_age, strict_fields=strict_fields)
    if parsed.rejections:
        return None
    return Delivery([Message(topic, key, value)], {topic: 1})


def _any_events(
    topic: str, document: object, now: datetime, max_age: timedelta, strict_fields: bool
) -> Delivery:
    batch = isinstance(document, list)
    items: list[object] = document if isinstance(document, list) else [document]
    if not items:
        raise InvalidEvents("empty array: send one event object, or an array of 1 to 10,000")
    if len(items) > MAX_BATCH_EVENTS:
        raise InvalidEvents(
            f"{len(items):,} events in one request (limit {MAX_BATCH_EVENTS:,}): split it"
        )
    groups: dict[str, list[int]] = {}
    problems: list[tuple[int, str]] = []
    for index, item in enumerate(items):
        account = item.get("account_id") if isinstance(item, dict) else None
        if isinstance(account, str):
            groups.setdefault(account, []).append(index)
        else:  # no account to key it by: validated alone, for the schema to say what is wrong
            problems += _problems(topic, None, [index], orjson.dumps(item), now, max_age, False)
    delivery = Delivery()
    for account, indices in groups.items():
        key = account.encode()
        try:
            envelopes = list(split_batch([items[i] for i in indices], f"account {account!r}"))
        except EnvelopeError as exc:  # one event over the message limit
            problems.append((indices[0], str(exc)))
            continue
        start = 0
        for number, value in enumerate(envelopes):
            found = _problems(topic, key, indices[start:], value, now, max_age, strict_fields)
            if not found:
                delivery.messages.append(Message(topic, key, value))
            problems += found
            if number + 1 < len(envelopes):  # the usual single envelope needs no count
                start += _count(value)
        delivery.events[topic] = delivery.events.get(topic, 0) + len(indices)
    if problems:
        raise InvalidEvents(_describe(sorted(problems), batch))
    return delivery


def _problems(
    topic: str,
    key: bytes | None,
    indices: list[int],
    value: bytes,
    now: datetime,
    max_age: timedelta,
    strict_fields: bool,
) -> list[tuple[int, str]]:
    """(position in the request, why) of each event of the envelope `value` a worker
    would reject; `indices` maps the envelope's positions to the request's."""
    parsed = parse_message(topic, key, value, now, max_age, strict_fields=strict_fields)
    return [
        (indices[rejection.batch_index or 0], f"{rejection.reason}: {rejection.detail}")
        for rejection in parsed.rejections
    ]


def _count(envelope: bytes) -> int:
    """The events in a batch envelope split_batch made (it holds only objects)."""
    parsed = orjson.loads(envelope)
    return len(parsed) if isinstance(parsed, list) else 1


def _describe(problems: list[tuple[int, str]], batch: bool) -> str:
    shown = [f"event {index}: {why}" if batch else why for index, why in problems[:SHOWN_PROBLEMS]]
    more = len(problems) - SHOWN_PROBLEMS
    if more > 0:
        shown.append(f"and {more:,} more")
    noun = "event is" if len(problems) == 1 else "events are"
    return f"{len(problems):,} {noun} invalid, nothing was accepted: " + "; ".join(shown)
