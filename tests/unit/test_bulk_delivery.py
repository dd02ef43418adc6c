"""Input messages reach the agent a fetch at a time, and stay in Faust's ack books."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from faust.types import TP
from faust.types.tuples import ConsumerMessage

from streams.acks import Inbox
from streams.bulk_consumer import BULK_SLICE, BulkDelivery, BulkDeliveryConsumer

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

    def ack(self, message: Any) -> bool:
        self.unacked.discard(message)
        self.committable.append(message.offset)
        return True


@dataclass
class Sensors:
    seen: list[int] = field(default_factory=list)
    done: list[int] = field(default_factory=list)

    def on_message_in(self, tp: TP, offset: int, message: Any) -> None:
        self.seen.append(offset)

    def on_message_out(self, tp: TP, offset: int, message: Any) -> None:
        self.done.append(offset)


def app(flowing: bool = True) -> Any:
    return SimpleNamespace(
        flow_control=SimpleNamespace(is_active=lambda: flowing),
        consumer_generation_id=GENERATION,
        consumer=Consumer(),
        sensors=Sensors(),
    )


def test_messages_fetched_before_a_rebalance_are_left_to_be_fetched_again() -> None:
    inbox = Inbox(app())
    current, stale = message("logins", 0, 1), message("logins", 0, 2, generation=GENERATION - 1)
    assert inbox.admit([current, stale]) == [current]


def test_nothing_is_admitted_while_faust_holds_the_flow_for_a_rebalance() -> None:
    assert Inbox(app(flowing=False)).admit([message("logins", 0, 1)]) == []


def test_admitted_messages_are_committable_only_once_acked() -> None:
    the_app = app()
    inbox = Inbox(the_app)
    batch = inbox.admit([message("logins", 0, 1), message("tickets", 1, 5)])
    assert the_app.consumer.unacked == set(batch), "a rebalance must wait for them"
    assert the_app.sensors.seen == [1, 5]
    assert the_app.consumer.committable == []

    inbox.ack(batch)
    assert the_app.consumer.committable == [1, 5]
    assert the_app.sensors.done == [1, 5]
    assert the_app.consumer.unacked == set()


async def fetch(*messages: Any) -> AsyncIterator[tuple[TP, Any]]:
    for each in messages:
        yield each.tp, each


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
    instance.callback = callback
    instance._read_offset = defaultdict(lambda: None, read_offsets)
    instance._commit_every = None
    instance.app = SimpleNamespace(topics=SimpleNamespace(acks_enabled_for=lambda topic: True))
    return instance, handed, one_by_one


async def test_a_fetch_reaches_the_handler_as_lists_and_other_topics_one_by_one() -> None:
    instance, handed, one_by_one = consumer({"logins", "tickets"}, {})
    logins = [message("logins", 0, offset) for offset in range(3)]
    changelog = message("account-state-changelog", 0, 0)
    tickets = message("tickets", 2, 9)
    await instance._deliver(fetch(logins[0], changelog, logins[1], tickets, logins[2]))
    assert handed == [[logins[0], logins[1], tickets, logins[2]]]
    assert one_by_one == [changelog]
    assert instance._read_offset[TP("logins", 0)] == 2
    assert instance._read_offset[TP("tickets", 2)] == 9


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
