"""Messages finished out of order are acked to Faust in offset order, per partition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from faust.types import TP

from streams.engine.alert_acks import AcksInOrder

ALERTS_0, ALERTS_1 = TP("health.alerts", 0), TP("health.alerts", 1)


@dataclass(eq=False)
class FakeMessage:
    tp: TP
    offset: int


@dataclass(eq=False)
class FakeEvent:
    message: FakeMessage


class FaustBooks:
    def __init__(self) -> None:
        self.acked: list[tuple[int, int]] = []
        self.unacked: set[Any] = set()

    async def ack(self, event: Any) -> None:
        self.acked.append((event.message.tp.partition, event.message.offset))
        self.unacked.discard(event.message)


def read(books: FaustBooks, acks: AcksInOrder, tp: TP, offset: int) -> Any:
    event = FakeEvent(FakeMessage(tp, offset))
    books.unacked.add(event.message)
    return acks.track(event)  # type: ignore[arg-type]


async def test_a_message_is_acked_only_after_every_earlier_one_of_its_partition() -> None:
    books = FaustBooks()
    acks = AcksInOrder(ack=books.ack, forget=books.unacked.discard)
    a10, a11, a12 = (read(books, acks, ALERTS_0, n) for n in (10, 11, 12))
    b5 = read(books, acks, ALERTS_1, 5)

    await acks.finish(a12)
    await acks.finish(a11)
    await acks.finish(b5)
    assert books.acked == [(1, 5)]  # 11 and 12 wait for 10, still in flight
    await acks.finish(a10)
    assert books.acked == [(1, 5), (0, 10), (0, 11), (0, 12)]
    assert acks.in_flight() == 0


async def test_abandoned_messages_are_never_acked_and_leave_faust_s_unacked_set() -> None:
    books = FaustBooks()
    acks = AcksInOrder(ack=books.ack, forget=books.unacked.discard)
    first, second = read(books, acks, ALERTS_0, 10), read(books, acks, ALERTS_0, 11)
    await acks.finish(second)

    given_up = acks.abandon()
    await acks.finish(first)  # a delivery ending after the rebalance began
    assert books.acked == []
    assert {item.message.offset for item in given_up} == {10, 11}
    assert len(books.unacked) == 2
    acks.forget_all(given_up)
    assert books.unacked == set()
    assert acks.in_flight() == 0
