"""A batch's offsets become committable only after the broker has every write of the batch."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from streams.pipeline import PendingSends


@dataclass
class Message:
    offset: int
    tp: str = "logins-0"
    refcount: int = 1  # the stream's own reference, released by take_events after the batch

    def incref(self) -> None:
        self.refcount += 1


@dataclass
class Event:
    message: Message

    def ack(self) -> bool:
        """Like faust's: True when this was the last reference (the offset is committable)."""
        self.message.refcount -= 1
        return self.message.refcount == 0


@dataclass
class Sensors:
    released: list[int] = field(default_factory=list)

    def on_message_out(self, tp: Any, offset: int, message: Any) -> None:
        self.released.append(offset)


def batch(*offsets: int) -> list[Any]:
    return [Event(Message(offset)) for offset in offsets]


async def take_events_acks(events: list[Any]) -> None:
    for event in events:
        event.ack()


async def test_events_are_released_only_after_every_send_of_their_batch_settles() -> None:
    sensors = Sensors()
    pending = PendingSends(sensors)
    events = batch(1, 2)
    pending.hold(events)
    changelog, score = asyncio.get_running_loop().create_future(), asyncio.Future[None]()
    pending.add(changelog)
    pending.add(score)
    await pending.release_when_settled(events)
    await take_events_acks(events)
    await asyncio.sleep(0)
    assert sensors.released == [], "nothing may be committed while writes are in flight"

    changelog.set_result(None)
    await asyncio.sleep(0)
    assert sensors.released == []
    score.set_result(None)
    for _ in range(3):
        await asyncio.sleep(0)
    assert sensors.released == [1, 2]


async def test_a_failed_send_stops_the_agent_and_its_batch_is_never_released() -> None:
    sensors = Sensors()
    pending = PendingSends(sensors)
    first = batch(1)
    pending.hold(first)
    failed = asyncio.get_running_loop().create_future()
    pending.add(failed)
    await pending.release_when_settled(first)
    failed.set_exception(RuntimeError("broker said no"))
    await asyncio.sleep(0.01)

    second = batch(2)
    pending.hold(second)
    with pytest.raises(RuntimeError, match="broker said no"):
        await pending.release_when_settled(second)
    assert 1 not in sensors.released


async def test_at_most_depth_batches_wait_for_the_broker() -> None:
    pending = PendingSends(Sensors(), depth=1)
    slow = asyncio.get_running_loop().create_future()
    pending.add(slow)
    await pending.release_when_settled(batch(1))

    pending.add(asyncio.get_running_loop().create_future())
    blocked = asyncio.ensure_future(pending.release_when_settled(batch(2)))
    await asyncio.sleep(0.01)
    assert not blocked.done(), "a second batch in flight must wait for the first"
    slow.set_result(None)
    await asyncio.wait_for(blocked, timeout=1)
