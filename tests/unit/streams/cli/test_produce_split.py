"""`healthscore produce` splits batch envelopes the service would reject as too large."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from models.envelopes import EnvelopeError, split_batch
from models.events import MAX_BATCH_EVENTS
from streams.cli.produce import ProduceError, messages_of_line, read_messages


def login(n: int, account: str = "acme", pad: int = 0) -> dict[str, object]:
    return {
        "event_id": f"e{n}",
        "account_id": account,
        "occurred_at": "2026-11-29T09:00:00Z",
        "user_id": "u" * (1 + pad),
    }


def test_a_batch_within_the_limit_is_sent_as_it_is() -> None:
    line = orjson.dumps([login(n) for n in range(10)])
    assert list(messages_of_line(line, "f:1", limit=10_000)) == [(b"acme", line)]


def test_a_large_batch_splits_in_order_under_the_limit_with_the_same_key() -> None:
    events = [login(n, pad=n % 50) for n in range(500)]
    line = orjson.dumps(events)
    limit = 4096
    messages = list(messages_of_line(line, "f:1", limit=limit))
    assert len(messages) > 1
    assert all(key == b"acme" for key, _ in messages)
    assert all(len(value) <= limit for _, value in messages)
    assert [event for _, value in messages for event in orjson.loads(value)] == events


def test_a_chunk_can_fill_the_limit_exactly() -> None:
    one = orjson.dumps(login(1))
    events = [login(1)] * 4
    limit = 2 + 4 * len(one) + 3
    assert list(split_batch(events, "f:1", limit)) == [orjson.dumps(events)]
    assert len(list(split_batch(events, "f:1", limit - 1))) == 2


def test_more_than_the_contract_s_events_per_batch_split_too() -> None:
    events = [login(n) for n in range(MAX_BATCH_EVENTS + 5)]
    chunks = [orjson.loads(value) for value in split_batch(events, "f:1", limit=10**9)]
    assert [len(chunk) for chunk in chunks] == [MAX_BATCH_EVENTS, 5]


def test_an_event_larger_than_the_limit_is_a_clear_error() -> None:
    with pytest.raises(EnvelopeError, match=r"f:3: event 1 is .* over the 1,000-byte"):
        list(split_batch([login(0), login(1, pad=2000)], "f:3", limit=1000))
    with pytest.raises(ProduceError, match="f:4: event is"):
        list(messages_of_line(orjson.dumps(login(1, pad=2000)), "f:4", limit=1000))


def test_read_messages_splits_lines_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    big = [login(n, "big") for n in range(100)]
    path.write_bytes(orjson.dumps(login(0, "one")) + b"\n\n" + orjson.dumps(big) + b"\n")
    messages = list(read_messages(path, limit=2000))
    assert messages[0][0] == b"one"
    assert {key for key, _ in messages[1:]} == {b"big"}
    assert [event for _, value in messages[1:] for event in orjson.loads(value)] == big
