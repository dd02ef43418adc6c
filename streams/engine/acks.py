"""Faust's ack books for input messages the scoring agent takes a fetch at a time.

A message's offset becomes committable once it is acked; here that happens
only after every write its batch caused is acknowledged by the broker.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Protocol, cast

import faust
from faust.types import Message

from streams.engine.faust_internals import ack_lock


class BulkConsumer(Protocol):
    def ack_all(self, messages: Iterable[Message]) -> list[Message]: ...
    def fetch_again(self, messages: Iterable[Message]) -> None: ...


class PendingSends:
    """Produce requests of each batch, and the batch's acks held until they settle.

    Faust commits the offsets of acked messages after a producer flush that
    can return early under load, and sends from a batch are attached to no
    message: so a batch's messages are acked only once every changelog write
    and output of the batch is acknowledged by the broker. A crash then loses
    nothing. Waiting for those acknowledgements takes a third of a batch's
    time at moderate load, so it happens in the background while the next
    batches are processed (at most `depth` batches in flight).

    A send the broker finally refuses is told to `on_failure`, and raises in
    the agent: the batch is never released.
    """

    def __init__(
        self,
        release: Callable[[Sequence[Message]], None],
        depth: int = 2,
        on_failure: Callable[[Exception], None] = lambda exc: None,
    ) -> None:
        self.release = release
        self.depth = depth
        self.on_failure = on_failure
        self._futures: list[Awaitable[Any]] = []
        self._batches: deque[asyncio.Future[None]] = deque()

    def add(self, future: Awaitable[Any]) -> None:
        self._futures.append(future)

    async def release_when_settled(self, messages: Sequence[Message]) -> None:
        """Release `messages` once this batch's sends are acknowledged, without waiting
        here unless `depth` batches are in flight already; a failed earlier batch raises."""
        futures, self._futures = self._futures, []
        while self._batches and self._batches[0].done():
            self._batches.popleft().result()
        self._batches.append(asyncio.ensure_future(self._release_after(futures, messages)))
        while len(self._batches) > self.depth:
            await self._batches.popleft()

    async def _release_after(
        self, futures: list[Awaitable[Any]], messages: Sequence[Message]
    ) -> None:
        if futures:
            try:
                await asyncio.gather(*futures)
            except Exception as exc:
                self.on_failure(exc)
                raise
        self.release(messages)


class Inbox:
    """The input messages the consumer hands over, in and out of Faust's ack books.

    What a Faust stream does for each event it yields, done for a batch: drop
    messages fetched before a rebalance, or while one is under way, and have
    the consumer fetch them again; track the rest as unacked so a rebalance
    waits for them, and ack them at the end.
    """

    def __init__(self, app: faust.App) -> None:
        self.app = app

    def admit(self, messages: list[Message]) -> list[Message]:
        app = self.app
        # The app's consumer is a streams.engine.bulk_consumer.BulkDeliveryConsumer.
        consumer = cast(BulkConsumer, app.consumer)
        if not app.flow_control.is_active():
            consumer.fetch_again(messages)
            return []
        generation = app.consumer_generation_id
        admitted = [message for message in messages if message.generation_id == generation]
        if len(admitted) < len(messages):
            consumer.fetch_again(m for m in messages if m.generation_id != generation)
        tracked = []
        with ack_lock:  # what `Message.incref` takes, once for the batch
            for message in admitted:
                message.refcount += 1
                if not message.tracked:
                    message.tracked = True
                    tracked.append(message)
        app.consumer.unacked.update(tracked)
        _tell_sensors(app.sensors, "on_message_in", "on_messages_in", tracked)
        return admitted

    def ack(self, messages: Sequence[Message]) -> None:
        # The app's consumer is a streams.engine.bulk_consumer.BulkDeliveryConsumer.
        acked = cast(BulkConsumer, self.app.consumer).ack_all(messages)
        _tell_sensors(self.app.sensors, "on_message_out", "on_messages_out", acked)


def _tell_sensors(
    sensors: Iterable[Any], hook: str, batch_hook: str, messages: list[Message]
) -> None:
    """Call each sensor's `batch_hook` once with the messages where it has one,
    else its `hook` for every message."""
    for sensor in sensors:
        batch = getattr(sensor, batch_hook, None)
        if batch is not None:
            batch(messages)
        else:
            each = getattr(sensor, hook)
            for message in messages:
                each(message.tp, message.offset, message)
