"""Which fetched input messages go to be processed next, and when.

Batching amortises scoring: an account touched twice within a batch is scored
once. A batch therefore waits up to `window` seconds from its first fetch for
more to come, but not without end: the wait is wasted once the batch holds
everything the broker had and its oldest record has already waited `window`
seconds. That is the usual case at moderate load. While the worker processes
one batch, records pile up at the broker; the next batch takes them at once,
and its oldest record has waited the whole processing time already. Waiting
out a window again then adds that much to every record's latency without
batching anything more.

Messages gather in one lane per partition number. The input topics are
co-partitioned, so a lane holds whole accounts, and a batch is one lane's
messages: the lane that has waited longest among those ready. Under load the
lanes take turns, so a record waits for at most one round of lanes plus its
own lane's turn. One batch of every partition at once made it wait for the
whole batch being processed and then for the whole of its own, nearly twice
as long, for the same scoring work: each account is still scored once a round.

Whether a lane holds everything is judged by its partitions' high watermarks
from the consumer's latest fetch responses: a partition whose last taken
offset is one below its high watermark has nothing more to give. A partition
that never reaches it (transaction markers take offsets too) only falls back
to the window.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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
    @property
    def value(self) -> bytes | None: ...


HighWater = Callable[[TP], int | None]


@dataclass(slots=True)
class _Lane:
    """The messages of one partition number waiting to be processed."""

    started: float  # monotonic time of the first fetch since the lane was last taken
    messages: list[Fetched] = field(default_factory=list)
    size: int = 0  # bytes of the messages' values
    oldest: float = float("inf")  # the oldest record's timestamp (wall clock, s)


class Gathering:
    """Messages gathered by partition, and which lane, if any, to process now."""

    def __init__(
        self,
        window: float,
        limit: int,
        highwater: HighWater,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        byte_limit: int = 1 << 62,
    ) -> None:
        self.window = window
        # Messages, and bytes of their values, gathered across lanes before one must go.
        self.limit = limit
        self.byte_limit = byte_limit
        self.highwater = highwater
        self.clock = clock
        self.wall_clock = wall_clock
        self._lanes: dict[int, _Lane] = {}
        self.pending = 0  # messages gathered, all lanes
        self.pending_bytes = 0
        # The last offset taken of each partition, kept across batches.
        self._taken_through: dict[TP, int] = {}

    def add(self, fetch: Sequence[Fetched]) -> None:
        if not fetch:
            return
        lanes = self._lanes
        taken_through = self._taken_through
        lane: _Lane | None = None
        partition = -1
        now = 0.0
        size = 0
        for message in fetch:
            tp = message.tp
            if tp.partition != partition:
                partition = tp.partition
                lane = lanes.get(partition)
                if lane is None:
                    now = now or self.clock()
                    lane = lanes[partition] = _Lane(now)
            assert lane is not None
            lane.messages.append(message)
            taken_through[tp] = message.offset
            stamp = message.timestamp
            if stamp is not None and stamp < lane.oldest:
                lane.oldest = stamp
            value = message.value
            if value is not None:
                lane.size += len(value)
                size += len(value)
        self.pending += len(fetch)
        self.pending_bytes += size

    @property
    def full(self) -> bool:
        return self.pending >= self.limit or self.pending_bytes >= self.byte_limit

    def ready(self) -> bool:
        """Whether a lane is to be processed now, rather than wait for another fetch."""
        if self.full:
            return bool(self._lanes)
        return any(self._ready(partition, lane) for partition, lane in self._lanes.items())

    def _ready(self, partition: int, lane: _Lane) -> bool:
        if self.clock() >= lane.started + self.window:
            return True
        return lane.oldest + self.window <= self.wall_clock() and self.caught_up(partition)

    def caught_up(self, partition: int) -> bool:
        """Whether every topic's `partition` taken from has nothing beyond what was taken."""
        for tp, offset in self._taken_through.items():
            if tp.partition != partition:
                continue
            highwater = self.highwater(tp)
            if highwater is not None and offset + 1 < highwater:
                return False
        return True

    def take(self) -> list[Fetched]:
        """The messages of the lane that has waited longest among the ready ones
        (among all of them when full); none if no lane is ready."""
        full = self.full
        candidates = [
            (lane.started, partition)
            for partition, lane in self._lanes.items()
            if full or self._ready(partition, lane)
        ]
        if not candidates:
            return []
        _, partition = min(candidates)
        lane = self._lanes.pop(partition)
        self.pending -= len(lane.messages)
        self.pending_bytes -= lane.size
        return lane.messages

    def forget_offsets(self) -> None:
        """Partitions are moving: offsets taken before say nothing of the new ones."""
        self._taken_through.clear()
