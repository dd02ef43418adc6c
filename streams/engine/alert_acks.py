"""Acks for messages finished out of order, handed to Faust in offset order.

Alert delivery finishes `health.alerts` messages out of order: sinks and
accounts go concurrently. Faust commits up to the first gap in the offsets
acked since its last commit, but it cannot see a gap at the committed offset
itself, nor any gap while it knows no committed offset (a new group, or
offset 0): `Consumer._new_offset` of faust-streaming 0.15 checks only
`min(acked) - committed > 1`. Acked out of order, a message still in flight
could be committed past and lost in a crash. So a message is acked here only
once it and every message read before it from its partition are finished:
an ack then always means "everything up to here is done".

`abandon` gives up every message in flight (a rebalance, or the worker
stopping): none of them is acked any more, and after `forget` they leave
Faust's set of unacked messages, so the rebalance does not wait for them.
Faust then seeks to the committed offsets and they are read again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from faust.types import TP, EventT, Message


@dataclass(eq=False)
class InFlight:
    """One message read and not acked yet."""

    event: EventT[Any]
    finished: bool = False
    abandoned: bool = False

    @property
    def message(self) -> Message:
        message: Message = self.event.message
        return message


@dataclass
class AcksInOrder:
    """Tracks the messages in flight per partition; acks each finished run from the front.

    `ack` acknowledges one event to Faust (the manual-ack stream's `ack`);
    `forget` drops an abandoned message from Faust's unacked set.
    """

    ack: Callable[[EventT[Any]], Awaitable[object]]
    forget: Callable[[Message], None]
    _lines: dict[TP, deque[InFlight]] = field(default_factory=dict)

    def track(self, event: EventT[Any]) -> InFlight:
        """Call for every message as it is read, in the order read."""
        item = InFlight(event)
        self._lines.setdefault(event.message.tp, deque()).append(item)
        return item

    async def finish(self, item: InFlight) -> None:
        """Mark `item` finished; ack it and the finished ones after it once none before is open."""
        if item.abandoned or item.finished:
            return
        item.finished = True
        line = self._lines.get(item.message.tp)
        ready = []
        while line and line[0].finished:
            ready.append(line.popleft())
        for done in ready:
            await self.ack(done.event)

    def in_flight(self) -> int:
        return sum(len(line) for line in self._lines.values())

    def abandon(self) -> list[InFlight]:
        """Give up every message in flight: none will be acked. Returns them, for `forget`."""
        items = [item for line in self._lines.values() for item in line]
        self._lines.clear()
        for item in items:
            item.abandoned = True
        return items

    def forget_all(self, items: list[InFlight]) -> None:
        """Drop abandoned messages from Faust's unacked set (once nothing works on them)."""
        for item in items:
            self.forget(item.message)
