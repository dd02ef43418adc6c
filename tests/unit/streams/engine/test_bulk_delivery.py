"""Input messages reach the agent a fetch at a time, and stay in Faust's ack books."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from weakref import WeakSet

from faust.types import TP
from faust.types.tuples import ConsumerMessage
from intervaltree import IntervalTree

from streams.engine.acks import Inbox
from streams.engine.bulk_consumer import BULK_SLICE, BulkDelivery, BulkDeliveryConsumer
from streams.engine.commit_guard import CommitGuard

GENERATION = 7


def message(topic: str, partition: int, offset: int, generation: int = GENERATION) -> Any:
    return ConsumerMessage(
        topic, partition, offset, 0.0, 0, [], b"key", b"value", None, generation_id=generation
    )


@dataclass
class Consumer:
    """The bookkeeping of faust's Consumer that an Inbox touches."""

    unacked: set[Any] = field(default_factory=set)
    committable: list[int] = field(default_factory=list)
    again: list[int] = field(default_factory=list)

    def fetch_again(self, messages: Any) -> None:
        self.again += [each.offset for each in messages]

    def ack_all(self, messages: list[Any]) -> list[Any]:
        for message in messages:
            self.unacked.discard(message)
            self.committable.append(message.offset)
        return messages


@dataclass
class Sensors:
    seen: list[int] = field(default_factory=list)
    done: list[int] = field(default_factory=list)

    def on_message_in(self, tp: TP, offset: int, message: Any) -> None:
        self.seen.append(offset)

    def on_message_out(self, tp: TP, offset: int, message: Any) -> None:
        self.done.append(offset)


@dataclass
class BatchSensors:
    """A sensor that takes each batch's messages in one call."""

    seen: list[int] = field(default_factory=list)
    done: list[int] = field(default_factory=list)

    def on_messages_in(self, messages: list[Any]) -> None:
        self.seen += [each.offset for each in messages]

    def on_messages_out(self, messages: list[Any]) -> None:
        self.done += [each.offset for each in messages]


def app(flowing: bool = True) -> Any:
    return SimpleNamespace(
        flow_control=SimpleNamespace(is_active=lambda: flowing),
        consumer_generation_id=GENERATION,
        consumer=Consumer(),
        sensors=[Sensors(), BatchSensors()],
    )


def test_messages_fetched_before_a_rebalance_are_left_to_be_fetched_again() -> None:
    the_app = app()
    inbox = Inbox(the_app)
    current, stale = message("logins", 0, 1), message("logins", 0, 2, generation=GENERATION - 1)
    assert inbox.admit([current, stale]) == [current]
    assert the_app.consumer.again == [2]


def test_nothing_is_admitted_while_faust_holds_the_flow_for_a_rebalance() -> None:
    the_app = app(flowing=False)
    assert Inbox(the_app).admit([message("logins", 0, 1)]) == []
    assert the_app.consumer.again == [1]


def test_admitted_messages_are_committable_only_once_acked() -> None:
    the_app = app()
    inbox = Inbox(the_app)
    batch = inbox.admit([message("logins", 0, 1), message("tickets", 1, 5)])
    assert the_app.consumer.unacked == set(batch), "a rebalance must wait for them"
    assert [sensor.seen for sensor in the_app.sensors] == [[1, 5], [1, 5]]
    assert the_app.consumer.committable == []

    inbox.ack(batch)
    assert the_app.consumer.committable == [1, 5]
    assert [sensor.done for sensor in the_app.sensors] == [[1, 5], [1, 5]]
    assert the_app.consumer.unacked == set()


def ack_books(committed: dict[TP, int]) -> Any:
    """A BulkDeliveryConsumer with only faust's ack bookkeeping set up."""
    books: Any = object.__new__(BulkDeliveryConsumer)
    books.guard = CommitGuard()
    books.app = SimpleNamespace(
        topics=SimpleNamespace(acks_enabled_for=lambda topic: topic != "no-acks")
    )
    books.committed_offsets = defaultdict(lambda: None, committed)
    books.acked_index = defaultdict(set)
    books.acked_offsets = defaultdict(list)
    books.unacked_messages = WeakSet()
    books.n_acked = 0
    books.waiting_for_ack = None
    return books


def test_acking_a_batch_keeps_the_books_as_acking_each_message_does() -> None:
    def batch() -> list[Any]:
        messages = [
            message("logins", 0, 5),
            message("logins", 0, 6),  # referenced twice: still in use after one ack
            message("logins", 0, 6),  # the same offset again (fetched again)
            message("logins", 1, 2),  # below the committed offset
            message("no-acks", 0, 9),
            message("tickets", 3, 4),  # acked already
        ]
        for each in messages:
            each.incref()
            each.tracked = True  # admitted by the Inbox
        messages[1].incref()
        messages[5].acked = True
        return messages

    committed = {TP("logins", 1): 3}
    one_by_one, at_once = ack_books(committed), ack_books(committed)
    singles, batched = batch(), batch()
    for books, messages in ((one_by_one, singles), (at_once, batched)):
        books.unacked_messages.update(messages)
    newly_acked = [each.offset for each in singles if each.ack(one_by_one)]
    assert [each.offset for each in at_once.ack_all(batched)] == newly_acked == [5, 6]
    for field_name in ("acked_offsets", "acked_index", "n_acked"):
        assert getattr(at_once, field_name) == getattr(one_by_one, field_name), field_name
    in_use = {(m.topic, m.partition, m.offset, m.refcount) for m in one_by_one.unacked_messages}
    assert {
        (m.topic, m.partition, m.offset, m.refcount) for m in at_once.unacked_messages
    } == in_use
    assert [(m.acked, m.refcount) for m in batched] == [(m.acked, m.refcount) for m in singles]


async def fetch(*messages: Any) -> AsyncIterator[tuple[TP, list[Any]]]:
    """A fetch as `getmany_by_partition` gives it: each partition's messages together."""
    by_partition: dict[TP, list[Any]] = {}
    for each in messages:
        by_partition.setdefault(each.tp, []).append(each)
    for tp, fetched in by_partition.items():
        yield tp, fetched


def consumer(bulk_topics: set[str], read_offsets: dict[TP, int | None]) -> Any:
    handed: list[list[Any]] = []
    one_by_one: list[Any] = []

    async def hand_over(messages: list[Any]) -> None:
        handed.append(messages)

    async def callback(message: Any) -> None:
        one_by_one.append(message)

    delivery = BulkDelivery()
    delivery.register(bulk_topics, hand_over)
    instance = object.__new__(BulkDeliveryConsumer)
    instance.bulk = delivery
    instance.guard = CommitGuard()
    instance.callback = callback
    instance.read_offsets = defaultdict(lambda: None, read_offsets)
    instance.commit_every = None
    instance.app = SimpleNamespace(topics=SimpleNamespace(acks_enabled_for=lambda topic: True))
    return instance, handed, one_by_one


async def test_a_fetch_reaches_the_handler_as_lists_and_other_topics_one_by_one() -> None:
    instance, handed, one_by_one = consumer({"logins", "tickets"}, {})
    logins = [message("logins", 0, offset) for offset in range(3)]
    changelog = message("account-state-changelog", 0, 0)
    tickets = message("tickets", 2, 9)
    await instance._deliver(fetch(logins[0], changelog, logins[1], tickets, logins[2]))
    assert handed == [[*logins, tickets]]
    assert one_by_one == [changelog]
    assert instance.read_offsets[TP("logins", 0)] == 2
    assert instance.read_offsets[TP("tickets", 2)] == 9


async def test_a_large_fetch_is_handed_over_in_slices_in_order() -> None:
    instance, handed, _ = consumer({"logins"}, {})
    logins = [message("logins", 0, offset) for offset in range(BULK_SLICE + 5)]
    await instance._deliver(fetch(*logins))
    assert [len(piece) for piece in handed] == [BULK_SLICE, 5]
    assert [m.offset for piece in handed for m in piece] == list(range(BULK_SLICE + 5))


async def test_messages_before_the_read_offset_are_not_delivered_twice() -> None:
    instance, handed, _ = consumer({"logins"}, {TP("logins", 0): 4})
    logins = [message("logins", 0, offset) for offset in range(3, 7)]
    await instance._deliver(fetch(*logins))
    assert [m.offset for m in handed[0]] == [4, 5, 6]


async def test_a_fetch_is_taken_a_partition_at_a_time_from_the_active_ones_only() -> None:
    logins0, logins1, paused = TP("logins", 0), TP("logins", 1), TP("tickets", 0)
    records = {
        logins0: [SimpleNamespace(offset=offset) for offset in range(3)],
        paused: [SimpleNamespace(offset=0)],
        logins1: [SimpleNamespace(offset=5)],
    }
    end_offsets: list[tuple[TP, int]] = []

    dropped: list[tuple[TP, list[int]]] = []
    fetching = fetching_consumer(records, {logins0, logins1}, dropped, end_offsets)
    got = [
        (tp, [m.offset for m in fetched])
        async for tp, fetched in BulkDeliveryConsumer.getmany_by_partition(fetching, 1.0)  # type: ignore[arg-type]
    ]
    assert got == [(logins0, [0, 1, 2]), (logins1, [5])], "a partition not active is left out"
    assert dropped == [(paused, [0])], "and fetched again later"
    assert end_offsets == [(logins0, 3), (logins1, 6)], "each partition's end offset, once"


def fetching_consumer(
    records: dict[TP, list[Any]],
    active: set[TP] | None,
    dropped: list[tuple[TP, list[int]]],
    end_offsets: list[tuple[TP, int]] | None = None,
) -> Any:
    """What `getmany_by_partition` reads of its consumer, fetching `records`
    with `active` partitions; the records it drops are noted in `dropped`."""

    ends = [] if end_offsets is None else end_offsets

    async def wait_next_records(wait_seconds: float) -> tuple[Any, set[TP] | None]:
        return records, active

    return SimpleNamespace(
        _drop_records=lambda records: dropped.extend(
            (tp, [r.offset for r in rs]) for tp, rs in records.items()
        ),
        wait_next_records=wait_next_records,
        should_stop=False,
        flow_active=True,
        buffered_partitions=set(),
        to_message=lambda tp, record: message(tp.topic, tp.partition, record.offset),
        highwater=lambda tp: max(record.offset for record in records[tp]) + 1,
        app=SimpleNamespace(
            consumer_generation_id=GENERATION,
            monitor=SimpleNamespace(
                track_tp_end_offset=lambda tp, offset: ends.append((tp, offset))
            ),
        ),
    )


def committing_consumer(before_commit: Any) -> tuple[Any, list[dict[TP, int]]]:
    """A consumer with Faust's ack books, committing into a list."""
    committed: list[dict[TP, int]] = []
    delivery = BulkDelivery()
    delivery.register({"logins"}, fetch_nothing, before_commit=before_commit)
    instance = object.__new__(BulkDeliveryConsumer)
    instance.bulk = delivery
    instance.guard = CommitGuard()
    instance.acked_offsets = defaultdict(list)
    instance.acked_index = defaultdict(set)
    instance.gaps = defaultdict(IntervalTree)
    instance.committed_offsets = defaultdict(lambda: None)
    instance.diag = SimpleNamespace(set_flag=lambda flag: None, unset_flag=lambda flag: None)
    instance.app = SimpleNamespace(
        sensors=SimpleNamespace(
            on_commit_initiated=lambda consumer: None,
            on_commit_completed=lambda consumer, state: None,
        )
    )

    async def handle_attached(offsets: dict[TP, int]) -> None:
        pass

    async def commit_offsets(offsets: dict[TP, int], start_new_transaction: bool = True) -> bool:
        committed.append(dict(offsets))
        instance.committed_offsets.update(offsets)
        return True

    instance.handle_attached = handle_attached
    instance.commit_offsets = commit_offsets
    return instance, committed


async def fetch_nothing(messages: list[Any]) -> None:
    pass


def ack(instance: Any, tp: TP, offset: int) -> None:
    instance.acked_offsets[tp].append(offset)
    instance.acked_index[tp].add(offset)


async def test_messages_acked_while_rows_are_written_wait_for_the_next_commit() -> None:
    tp = TP("logins", 0)
    written: list[str] = []

    async def write_rows() -> None:
        written.append("rows")
        ack(instance, tp, 3)  # a batch the agent processed between two turns of rows

    instance, committed = committing_consumer(write_rows)
    for offset in range(3):
        ack(instance, tp, offset)
    assert await instance.force_commit()
    assert written == ["rows"]
    assert committed == [{tp: 3}], "offset 3 was acked after its rows were taken"
    assert await instance.force_commit()
    assert committed[-1] == {tp: 4}
    assert written == ["rows", "rows"], "every commit writes rows first"


async def test_rows_are_written_even_when_no_offset_moved() -> None:
    written: list[str] = []

    async def write_rows() -> None:
        written.append("rows")

    instance, committed = committing_consumer(write_rows)
    assert not await instance.force_commit()
    assert written == ["rows"] and committed == []
