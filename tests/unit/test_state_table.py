"""The processor's view of the Faust table reads an account wherever its partition is."""

from __future__ import annotations

import weakref
from typing import Any

from faust.streams import _current_event, current_event

from streams.pipeline import FaustStateTable, PendingSends


class ChannelEvent:
    """What a stream over an in-memory channel sets as the current event: no partition."""

    class message:
        partition = None


class Table:
    def __init__(self) -> None:
        self.events_seen: list[Any] = []

    def send_changelog(self, *args: Any, **kwargs: Any) -> None:
        return None

    def get(self, key: str) -> bytes | None:
        # Faust's RocksDB store reads only the current event's partition when there is one.
        self.events_seen.append(current_event())
        return b"row of " + key.encode()


def test_a_read_inside_a_stream_iteration_is_not_tied_to_the_streams_event() -> None:
    table = Table()
    state = FaustStateTable(table, PendingSends(lambda messages: None))
    outer = ChannelEvent()
    token = _current_event.set(weakref.ref(outer))  # type: ignore[arg-type]
    try:
        assert state.get("acme") == b"row of acme"
        assert table.events_seen == [None]
        assert current_event() is outer, "the stream's own event is put back"
    finally:
        _current_event.reset(token)
