"""When a batch of fetched input messages stops gathering and goes to be processed.

Batching amortises scoring: an account touched twice within a batch is scored
once. A batch therefore waits up to `window` seconds from its first fetch for
more to come, but not without end: the wait is wasted once the batch holds
everything the broker had and its oldest record has already waited `window`
seconds. That is the usual case at moderate load. While the worker processes
one batch, records pile up at the broker; the next batch takes them at once,
and its oldest record has waited the whole processing time already. Waiting
out a window again then adds that much to every record's latency without
batching anything more.

Whether the batch holds everything is judged by the partitions' high
watermarks from the consumer's latest fetch responses: a partition whose last
taken offset is one below its high watermark has nothing more to give. A
partition that never reaches it (transaction markers take offsets too) only
falls back to the window.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

from faust.types import TP


class Fetched(Protocol):
    """What gathering reads of an input message."""

    @property
    def tp(self) -> TP: ...
    @property
    def offset(self) -> int: ...
    @property
    def timestamp(self) -> float | None: ...


HighWater = Callable[[TP], int | None]


class Gathering:
    """The batch being gathered, and whether it is ready to be processed."""

    def __init__(
        self,
        window: float,
        limit: int,
        highwater: HighWater,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.window = window
        self.limit = limit
        self.highwater = highwater
        self.clock = clock
        self.wall_clock = wall_clock
        self.messages: list[Fetched] = []
        self._started = 0.0
        self._oldest = float("inf")  # record timestamp (wall clock, s)
        # The last offset taken of each partition, kept across batches.
        self._taken_through: dict[TP, int] = {}

    def add(self, fetch: Sequence[Fetched]) -> None:
        if not fetch:
            return
        if not self.messages:
            self._started = self.clock()
            self._oldest = float("inf")
        self.messages.extend(fetch)
        taken_through = self._taken_through
        oldest = self._oldest
        for message in fetch:
            taken_through[message.tp] = message.offset
            stamp = message.timestamp
            if stamp is not None and stamp < oldest:
                oldest = stamp
        self._oldest = oldest

    @property
    def full(self) -> bool:
        return len(self.messages) >= self.limit

    def ready(self) -> bool:
        """Whether to process the batch now, rather than wait for another fetch."""
        if not self.messages:
            return False
        if self.full or self.clock() >= self._started + self.window:
            return True
        return self._oldest + self.window <= self.wall_clock() and self.caught_up()

    def caught_up(self) -> bool:
        """Whether every partition taken from has nothing beyond what was taken."""
        for tp, offset in self._taken_through.items():
            highwater = self.highwater(tp)
            if highwater is not None and offset + 1 < highwater:
                return False
        return True

    def take(self) -> list[Fetched]:
        messages, self.messages = self.messages, []
        return messages

    def forget_offsets(self) -> None:
        """Partitions are moving: offsets taken before say nothing of the new ones."""
        self._taken_through.clear()
