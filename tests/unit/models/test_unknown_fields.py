"""A tolerant reader: fields the contract does not name are ignored and counted, or rejected."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest

from models.events import TOPIC_EVENTS
from models.validation import ParsedMessage, RejectReason, parse_message
from tests.unit.models.test_validation import MAX_AGE, NOW, login


def parse(
    value: Any, strict: bool = False, records: bool = False, lead: bytes = b""
) -> ParsedMessage:
    raw = lead + orjson.dumps(value)
    return parse_message("logins", b"acme", raw, NOW, MAX_AGE, records, strict_fields=strict)


@pytest.mark.parametrize("records", [False, True])
@pytest.mark.parametrize("lead", [b"", b" "], ids=["fast", "general"])
def test_an_unknown_field_is_ignored_and_counted(records: bool, lead: bytes) -> None:
    parsed = parse(login(1, plan="enterprise"), records=records, lead=lead)
    assert not parsed.rejections and parsed.unknown_fields == 1
    [event] = parsed.events
    assert event.user_id == "u1" and not hasattr(event, "plan")
    assert parsed.events == parse(login(1), records=records, lead=lead).events


@pytest.mark.parametrize("records", [False, True])
@pytest.mark.parametrize("lead", [b"", b" "], ids=["fast", "general"])
def test_a_batch_counts_the_events_that_carried_unknown_fields(records: bool, lead: bytes) -> None:
    items = [login(1, plan="x", tier=2), login(2), login(3, plan={"a": 1})]
    parsed = parse(items, records=records, lead=lead)
    assert parsed.is_batch and not parsed.rejections
    assert [e.event_id for e in parsed.events] == ["e1", "e2", "e3"]
    assert parsed.unknown_fields == 2


def test_events_without_unknown_fields_count_nothing() -> None:
    assert parse([login(1), login(2)]).unknown_fields == 0
    assert parse(login(1), lead=b" ").unknown_fields == 0


def test_a_rejected_event_with_unknown_fields_is_not_counted_and_kept_as_sent() -> None:
    bad = login(2, plan="x", occurred_at=(NOW + timedelta(days=2)).isoformat())
    parsed = parse([login(1, plan="x"), bad])
    assert [e.event_id for e in parsed.events] == ["e1"]
    assert parsed.unknown_fields == 1
    [rejection] = parsed.rejections
    assert rejection.reason == RejectReason.FUTURE_TIMESTAMP
    assert (rejection.value, rejection.batch_index) == (orjson.dumps(bad), 1)


@pytest.mark.parametrize("value", [login(1, plan="x"), [login(1), login(2, plan="x")]])
def test_strict_fields_rejects_unknown_fields_as_before(value: Any) -> None:
    parsed = parse(value, strict=True)
    assert parsed.unknown_fields == 0
    [rejection] = parsed.rejections
    assert rejection.reason == RejectReason.SCHEMA_VIOLATION
    assert rejection.detail == "plan: Extra inputs are not permitted"


@pytest.mark.parametrize("strict", [False, True])
def test_a_type_error_on_a_known_field_is_still_rejected(strict: bool) -> None:
    value = login(1, role="cfo")
    raw = orjson.dumps(value)
    parsed = parse(value, strict=strict)
    assert not parsed.events and parsed.unknown_fields == 0
    [rejection] = parsed.rejections
    assert rejection.reason == RejectReason.SCHEMA_VIOLATION
    assert rejection.detail.startswith("role: Input should be")
    assert rejection.value == raw


def test_a_type_error_beside_an_unknown_field_names_only_the_known_field() -> None:
    value = login(1, role="cfo", plan="x")
    [rejection] = parse(value).rejections
    assert rejection.reason == RejectReason.SCHEMA_VIOLATION
    assert rejection.detail.startswith("role: Input should be") and "plan" not in rejection.detail
    assert rejection.value == orjson.dumps(value)  # the DLQ keeps the message as sent


def test_every_topic_knows_the_fields_of_its_events() -> None:
    from models.validation import KNOWN_FIELDS

    assert KNOWN_FIELDS.keys() == TOPIC_EVENTS.keys()
    assert KNOWN_FIELDS["logins"] >= {"event_id", "account_id", "occurred_at", "user_id", "role"}
