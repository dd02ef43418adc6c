"""The worker's fast-path records: the same contract as the events, folded the same way."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import orjson
from pydantic import TypeAdapter

from bench.workload import events as workload_events
from models.event_records import TOPIC_RECORDS
from models.events import TOPIC_EVENTS
from models.model_config import load_model
from models.state import apply_events, new_state
from models.validation import RejectReason, parse_message

MODEL = load_model()
MAX_AGE = timedelta(days=MODEL.longest_window_days)


def test_each_record_accepts_exactly_what_its_event_accepts() -> None:
    for topic, record in TOPIC_RECORDS.items():
        ours = TypeAdapter(record).json_schema()
        theirs = TOPIC_EVENTS[topic].model_json_schema()
        ours.pop("title"), theirs.pop("title")
        assert ours == theirs, topic


def workload() -> list[tuple[str, bytes, bytes]]:
    """Batch envelopes of the bench's event mix, one per topic and account."""
    grouped: dict[tuple[str, str], list[dict[str, object]]] = {}
    for topic, event in workload_events(3_000, 20, seed=3):
        grouped.setdefault((topic, str(event["account_id"])), []).append(event)
    return [(t, a.encode(), orjson.dumps(items)) for (t, a), items in grouped.items()]


def test_a_clean_message_gives_records_holding_the_events_values() -> None:
    now = datetime.now(UTC)
    topics = set()
    for topic, key, value in workload():
        as_records = parse_message(topic, key, value, now, MAX_AGE, records=True)
        as_events = parse_message(topic, key, value, now, MAX_AGE)
        assert not as_records.rejections and not as_events.rejections
        assert all(type(r) is TOPIC_RECORDS[topic] for r in as_records.events)
        assert [dataclasses.asdict(r) for r in as_records.events] == [
            e.model_dump() for e in as_events.events
        ]
        topics.add(topic)
    assert topics == set(TOPIC_RECORDS)


def test_records_fold_into_the_state_events_fold_into() -> None:
    now = datetime.now(UTC)
    from_records, from_events = new_state("acme"), new_state("acme")
    for topic, key, value in workload():
        fast = parse_message(topic, key, value, now, MAX_AGE, records=True).events
        slow = parse_message(topic, key, value, now, MAX_AGE).events
        assert apply_events(from_records, fast, MODEL, now) == apply_events(
            from_events, slow, MODEL, now
        )
    assert from_records.model_dump() == from_events.model_dump()
    assert from_records.users and from_records.tickets and from_records.contracts


def test_a_message_with_a_bad_event_is_rejected_as_without_records() -> None:
    now = datetime.now(UTC)
    good = {
        "event_id": "e1",
        "account_id": "acme",
        "occurred_at": now.isoformat(),
        "respondent_id": "r1",
        "score": 9,
    }
    bad = good | {"event_id": "e2", "score": "9"}  # NPS scores are strict integers
    value = orjson.dumps([good, bad])
    parsed = parse_message("nps", b"acme", value, now, MAX_AGE, records=True)
    assert parsed == parse_message("nps", b"acme", value, now, MAX_AGE)
    assert [r.reason for r in parsed.rejections] == [RejectReason.SCHEMA_VIOLATION]
    assert [r.batch_index for r in parsed.rejections] == [1]
