"""Raw messages into events or rejections: the whole-batch fast path agrees with the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from models import validation
from models.events import TOPIC_EVENTS
from models.validation import FLOAT_FIELDS, ParsedMessage, RejectReason, parse_message

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
MAX_AGE = timedelta(days=180)


def login(n: int, **fields: Any) -> dict[str, Any]:
    at = (NOW - timedelta(hours=n)).isoformat()
    event = {"event_id": f"e{n}", "account_id": "acme", "occurred_at": at, "user_id": f"u{n}"}
    return event | fields


def renewal(**fields: Any) -> dict[str, Any]:
    event = {
        "event_id": "r1",
        "account_id": "acme",
        "occurred_at": NOW.isoformat(),
        "contract_id": "c1",
        "status": "renewed",
        "renewal_date": "2027-01-01",
        "arr": 1000.0,
    }
    return event | fields


def parse(topic: str, value: bytes, key: bytes | None = b"acme") -> ParsedMessage:
    return parse_message(topic, key, value, NOW, MAX_AGE)


def general_path(topic: str, value: bytes, key: bytes | None = b"acme") -> ParsedMessage:
    # A leading space is still the same JSON, but only the general path takes it.
    return parse(topic, b" " + value, key)


def summary(parsed: ParsedMessage) -> tuple[object, ...]:
    events = [(type(e), e.model_dump_json()) for e in parsed.events]
    rejections = [(r.reason, r.detail, r.value, r.batch_index) for r in parsed.rejections]
    return parsed.is_batch, events, rejections


def test_a_valid_batch_gives_the_events_the_general_path_gives() -> None:
    items = [
        login(1, role="it_leader", feature="reports"),
        login(2, occurred_at="2026-06-01T09:30:00.123456+05:30"),
        login(3, occurred_at="2026-05-31T12:00:00Z", feature=None),
    ]
    value = orjson.dumps(items)
    parsed = parse("logins", value)
    assert parsed.is_batch and not parsed.rejections
    assert parsed.events == [TOPIC_EVENTS["logins"].model_validate(item) for item in items]
    assert summary(parsed) == summary(general_path("logins", value))


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (login(9, account_id="other"), RejectReason.KEY_MISMATCH),
        (
            login(9, occurred_at=(NOW + timedelta(hours=25)).isoformat()),
            RejectReason.FUTURE_TIMESTAMP,
        ),
        (login(9, occurred_at=(NOW - timedelta(days=181)).isoformat()), RejectReason.TOO_OLD),
        (login(9, user_id=""), RejectReason.SCHEMA_VIOLATION),
        (login(9, extra=1, role="cfo"), RejectReason.SCHEMA_VIOLATION),
    ],
)
def test_one_bad_event_is_rejected_alone_with_its_index(bad: dict[str, Any], reason: str) -> None:
    items = [login(1), bad, login(2)]
    value = orjson.dumps(items)
    parsed = parse("logins", value)
    assert [e.event_id for e in parsed.events] == ["e1", "e2"]
    [rejection] = parsed.rejections
    assert (rejection.reason, rejection.batch_index) == (reason, 1)
    assert rejection.value == orjson.dumps(bad)
    assert summary(parsed) == summary(general_path("logins", value))


def test_events_exactly_at_the_bounds_are_accepted() -> None:
    zone = timezone(timedelta(hours=-7))
    items = [
        login(1, occurred_at=(NOW + timedelta(hours=24)).astimezone(zone).isoformat()),
        login(2, occurred_at=(NOW - MAX_AGE).isoformat()),
    ]
    parsed = parse("logins", orjson.dumps(items))
    assert len(parsed.events) == 2 and not parsed.rejections


@pytest.mark.parametrize("key", [None, b"\xff\xfeacme", b"acme ", b"ACME"])
def test_a_key_that_is_not_the_account_id_rejects_every_event(key: bytes | None) -> None:
    value = orjson.dumps([login(1), login(2)])
    parsed = parse("logins", value, key)
    assert not parsed.events
    assert [r.reason for r in parsed.rejections] == [RejectReason.KEY_MISMATCH] * 2
    assert summary(parsed) == summary(general_path("logins", value, key))


@pytest.mark.parametrize(
    ("topic", "field", "number"),
    [
        ("renewals", "arr", b"Infinity"),
        ("renewals", "arr", b"1e400"),
        ("renewals", "new_arr", b"1e400"),
        ("renewals", "new_arr", b"NaN"),
        ("accounts", "arr", b"1e999"),
    ],
)
def test_numbers_json_cannot_hold_are_invalid_json(topic: str, field: str, number: bytes) -> None:
    # pydantic's own JSON parser would read these as floats; orjson (and the contract) do not.
    event = renewal() if topic == "renewals" else {**renewal(), "name": "Acme"}
    if topic == "accounts":
        for name in ("contract_id", "status", "arr"):
            del event[name]
    value = orjson.dumps([event])[:-2] + b',"' + field.encode() + b'":' + number + b"}]"
    parsed = parse(topic, value)
    assert not parsed.events
    assert [r.reason for r in parsed.rejections] == [RejectReason.INVALID_JSON]


def test_the_float_fields_the_fast_path_checks_are_all_of_them() -> None:
    found = {}
    for topic, model in TOPIC_EVENTS.items():
        properties = model.model_json_schema()["properties"]
        fields = tuple(name for name, schema in properties.items() if "'number'" in str(schema))
        if fields:
            found[topic] = fields
    assert found == FLOAT_FIELDS


@pytest.mark.parametrize(
    ("value", "reasons"),
    [
        (b"[]", [RejectReason.EMPTY_BATCH]),
        (b"[1] x", [RejectReason.INVALID_JSON]),
        (b"[1,]", [RejectReason.INVALID_JSON]),
        (b"[" + b",".join([b"{}"] * 10_001) + b"]", [RejectReason.BATCH_TOO_LARGE]),
        (b"[1, {}]", [RejectReason.SCHEMA_VIOLATION] * 2),
    ],
)
def test_batches_the_fast_path_declines_get_the_general_answers(
    value: bytes, reasons: list[RejectReason]
) -> None:
    parsed = parse("logins", value)
    assert not parsed.events
    assert [r.reason for r in parsed.rejections] == reasons


@pytest.mark.parametrize(
    ("topic", "event"),
    [
        ("logins", login(1, role="it_leader", feature="reports")),
        ("logins", login(2, occurred_at="2026-06-01T09:30:00.123456+05:30")),
        ("logins", login(3, occurred_at=(NOW - MAX_AGE).isoformat())),
        ("renewals", renewal(new_arr=2000)),
        ("accounts", {**login(4), "name": "Acme", "arr": 10.5}),
    ],
)
def test_a_valid_single_event_gives_the_event_the_general_path_gives(
    topic: str, event: dict[str, Any]
) -> None:
    if topic == "accounts":
        del event["user_id"]
    value = orjson.dumps(event)
    parsed = parse(topic, value)
    assert not parsed.is_batch and not parsed.rejections
    assert parsed.events == [TOPIC_EVENTS[topic].model_validate(event)]
    assert summary(parsed) == summary(general_path(topic, value))


@pytest.mark.parametrize(
    ("value", "key"),
    [
        (orjson.dumps(login(9, account_id="other")), b"acme"),
        (orjson.dumps(login(9)), None),
        (orjson.dumps(login(9)), b"\xff\xfeacme"),
        (orjson.dumps(login(9, occurred_at=(NOW + timedelta(hours=25)).isoformat())), b"acme"),
        (orjson.dumps(login(9, occurred_at=(NOW - timedelta(days=181)).isoformat())), b"acme"),
        (orjson.dumps(login(9, user_id="")), b"acme"),
        (orjson.dumps(login(9, extra=1, role="cfo")), b"acme"),
        (orjson.dumps(renewal())[:-1] + b',"new_arr":NaN}', b"acme"),
        (orjson.dumps(renewal())[:-1] + b',"new_arr":1e400}', b"acme"),
        (b'{"event_id": 1}', b"acme"),
        (b"{} x", b"acme"),
    ],
)
def test_a_single_event_the_fast_path_declines_gets_the_general_answer(
    value: bytes, key: bytes | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    topic = "renewals" if b"contract_id" in value else "logins"
    parsed = parse(topic, value, key)
    assert not parsed.events and len(parsed.rejections) == 1
    assert parsed.rejections[0].value == value
    monkeypatch.setattr(validation, "_accept_clean", lambda *args: None)
    assert summary(parsed) == summary(parse(topic, value, key))
