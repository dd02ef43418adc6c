"""Whether the worker keeps up with its input, for /readyz.

A worker can stall after start-up with nothing failing: an assigned input
partition the consumer does not fetch (left out of Faust's active set, or
never answered by the broker: see `fetch_watch`), or an agent that stopped
taking messages while records wait. Either way the tables are
recovered and the agent once started, so readiness alone would stay 200.
This watch says why a worker is not keeping up, or nothing:

- an assigned input partition has been seen unfetched for `stall` seconds
  (the fetch watch's record of it, resumes or not); or
- a partition has records beyond the last one processed (its high watermark
  from the latest fetch is past it) and nothing of it was processed for
  `stall` seconds since that was first seen; or
- a partition has records processed that its committed offset does not
  cover, and that offset has not moved for `stall` seconds since that was
  first seen: the commit guard refuses its commits (streams.engine.commit_guard),
  because a message below them was never processed.

Cheap: a dict write per message delivered and processed; the rule itself runs
only when /readyz is asked, over the worker's assigned partitions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from faust.types import TP

from streams.engine.fetch_watch import FetchWatch


class ProgressWatch:
    def __init__(
        self,
        app: Any,
        topics: Iterable[str],
        highwater: Callable[[TP], int | None],
        fetches: FetchWatch,
        stall: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.topics = frozenset(topics)
        self.highwater = highwater
        self.fetches = fetches
        self.stall = stall
        self.clock = clock
        # The last offset processed of each partition (one before the first
        # delivered, until something of it is processed), since the last rebalance.
        self._through: dict[TP, int] = {}
        self._moved_at: dict[TP, float] = {}
        # Since when each partition has been seen with records beyond `_through`.
        self._lagging_since: dict[TP, float] = {}
        # The first offset delivered of each partition since the last rebalance.
        self._from: dict[TP, int] = {}
        # Each partition's committed offset while records processed lie beyond
        # it, and since when it has been seen there.
        self._uncommitted_since: dict[TP, tuple[int | None, float]] = {}

    def delivered(self, messages: Sequence[Any]) -> None:
        """Messages the consumer handed to the agent: from there on it is to process them."""
        through = self._through
        for message in messages:
            if message.tp not in through:
                through[message.tp] = message.offset - 1
                self._moved_at[message.tp] = self.clock()
                self._from[message.tp] = message.offset

    def processed(self, messages: Sequence[Any]) -> None:
        """Messages the agent is done with."""
        through = self._through
        now = self.clock()
        moved_at = self._moved_at
        for message in messages:
            tp = message.tp
            if tp in through:
                through[tp] = message.offset
                moved_at[tp] = now

    def forget(self) -> None:
        """Partitions were revoked: positions start again from the next delivery."""
        self._through.clear()
        self._moved_at.clear()
        self._lagging_since.clear()
        self._from.clear()
        self._uncommitted_since.clear()

    def _lagging(self) -> list[TP]:
        through = self._through
        lagging = []
        for tp in self.app.consumer.assignment():
            if tp.topic not in self.topics or tp not in through:
                continue
            highwater = self.highwater(tp)
            if highwater is not None and through[tp] + 1 < highwater:
                lagging.append(tp)
        return lagging

    def unready_reason(self) -> str | None:
        """Why the worker is not keeping up, in one short line; None if it is."""
        unfetched = self.fetches.longest_unfetched()
        if unfetched is not None and unfetched[1] >= self.stall:
            tp, seconds = unfetched
            return f"input partition {tp.topic}[{tp.partition}] not fetched for {seconds:.0f} s"
        now = self.clock()
        lagging = self._lagging()
        since = self._lagging_since
        for tp in list(since):
            if tp not in lagging:
                del since[tp]
        worst: tuple[float, TP] | None = None
        for tp in lagging:
            stalled = now - max(since.setdefault(tp, now), self._moved_at.get(tp, now))
            if stalled >= self.stall and (worst is None or stalled > worst[0]):
                worst = (stalled, tp)
        if worst is not None:
            stalled, tp = worst
            return (
                f"input partition {tp.topic}[{tp.partition}] has records waiting and none "
                f"processed for {stalled:.0f} s"
            )
        return self._uncommitted_reason(now)

    def _uncommitted_reason(self, now: float) -> str | None:
        # The app's consumer is a streams.engine.faust_internals.ConsumerInternals;
        # its committed offsets are the next offset to read of each partition.
        committed = self.app.consumer.committed_offsets
        seen = self._uncommitted_since
        worst: tuple[float, TP] | None = None
        for tp, through in self._through.items():
            offset = committed.get(tp)
            if through < (self._from[tp] if offset is None else offset):
                seen.pop(tp, None)  # everything processed is committed
                continue
            if tp not in seen or seen[tp][0] != offset:
                seen[tp] = (offset, now)
            stalled = now - seen[tp][1]
            if stalled >= self.stall and (worst is None or stalled > worst[0]):
                worst = (stalled, tp)
        if worst is None:
            return None
        stalled, tp = worst
        return (
            f"input partition {tp.topic}[{tp.partition}] has records processed and not "
            f"committed for {stalled:.0f} s"
        )
