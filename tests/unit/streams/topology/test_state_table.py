"""The processor's view of the Faust table: reads wherever the account's partition is,
writes into the store and the batch's changelog records."""

from __future__ import annotations

from typing import Any

from faust.streams import current_event

from streams.engine.faust_internals import current_event_as
from streams.engine.record_batches import RecordBatches, SentBatch
from streams.topology.pipeline import FaustStateTable


class ChannelEvent:
    """What a stream over an in-memory channel sets as the current event: no partition."""

    class message:
        partition = None


class Store(dict[str, bytes]):
    """A Faust store: writes go to the current event's partition."""

    def __init__(self) -> None:
        super().__init__()
        self.partitions: dict[str, int] = {}
        self.persisted: dict[Any, int] = {}

    def __setitem__(self, key: str, value: bytes) -> None:
        event = current_event()
        assert event is not None, "Faust's store refuses a write with no current event"
        self.partitions[key] = event.message.partition
        super().__setitem__(key, value)

    # faust's private encoders, which streams.faust_internals.encode_key/_value call.
    def _encode_key(self, key: str) -> bytes:
        return key.encode()

    def _encode_value(self, value: bytes) -> bytes:
        return value

    def set_persisted_offset(self, tp: Any, offset: int) -> None:
        self.persisted[tp] = offset


class Table:
    def __init__(self) -> None:
        self.events_seen: list[Any] = []
        self.data = Store()

    class changelog_topic:
        @staticmethod
        def get_topic_name() -> str:
            return "app-account-state-changelog"

    def get(self, key: str) -> bytes | None:
        # Faust's RocksDB store reads only the current event's partition when there is one.
        self.events_seen.append(current_event())
        return b"row of " + key.encode()


def test_a_read_inside_a_stream_iteration_is_not_tied_to_the_streams_event() -> None:
    table = Table()
    state = FaustStateTable(table, RecordBatches(lambda: None))  # type: ignore[arg-type,return-value]
    outer = ChannelEvent()
    with current_event_as(outer):  # type: ignore[arg-type]
        assert state.get("acme") == b"row of acme"
        assert table.events_seen == [None]
        assert current_event() is outer, "the stream's own event is put back"


class PartitionEvent:
    def __init__(self, partition: int) -> None:
        self.message = type("Message", (), {"partition": partition})()


class Batches:
    def __init__(self) -> None:
        self.records: list[tuple[str, int, bytes | None, bytes | None]] = []

    def append(self, topic: str, partition: int, key: bytes | None, value: bytes | None) -> None:
        self.records.append((topic, partition, key, value))


def test_a_row_goes_to_its_partitions_store_and_changelog_once() -> None:
    table, batches = Table(), Batches()
    state = FaustStateTable(table, batches)  # type: ignore[arg-type]
    state.events = {1: PartitionEvent(1), 3: PartitionEvent(3)}  # type: ignore[dict-item]
    state.put("acme", 3, b"row")
    assert table.data == {"acme": b"row"}
    assert table.data.partitions == {"acme": 3}
    assert batches.records == [("app-account-state-changelog", 3, b"acme", b"row")]


class Done:
    def __init__(self, offset: int, failed: bool = False) -> None:
        self.offset, self.failed = offset, failed

    def cancelled(self) -> bool:
        return False

    def exception(self) -> BaseException | None:
        return RuntimeError("broker said no") if self.failed else None

    def result(self) -> Any:
        return self


def test_the_persisted_offset_is_the_last_record_of_an_acknowledged_changelog_batch() -> None:
    table = Table()
    state = FaustStateTable(table, Batches())  # type: ignore[arg-type]
    changelog = "app-account-state-changelog"
    state.persist(SentBatch(changelog, 2, 5, None), Done(100))  # type: ignore[arg-type]
    state.persist(SentBatch(changelog, 0, 1, None), Done(7, failed=True))  # type: ignore[arg-type]
    state.persist(SentBatch("health.scores", 1, 9, None), Done(50))  # type: ignore[arg-type]
    assert {(tp.topic, tp.partition): n for tp, n in table.data.persisted.items()} == {
        (changelog, 2): 104
    }
