"""Finds assigned input partitions the consumer does not fetch, says so, and resumes them.

Faust's fetch loop asks aiokafka only for the records of the partitions in
the consumer's active set. aiokafka fetches every assigned partition, but
keeps what it fetched of one left out of that set and fetches that one no
further; its high watermark stays known, its records wait. So an assigned
input partition is not fetched when:

- it is out of the active set (Faust paused it and did not resume it), with
  or without records waiting; or
- the broker has never answered a fetch for it: no high watermark is known.

In a settled group neither lasts: Faust resumes every input partition when a
rebalance's recovery completes, and aiokafka fetches a new assignment within
seconds. The watch logs a partition that stays so for `patience` seconds
(where it stands: active, paused, its high watermark) and resumes it, which
is all a resume does: back in the active set. That cures the first kind and
does no harm to the second. Only the bulk-delivered input topics are
watched: Faust's conductor never takes them out of the set for
backpressure, so a resume cannot undo that.

Neither kind is known to happen with the versions pinned; the stall two
workers started together can cause is of another kind, messages skipped
after a seek, which `BulkDeliveryConsumer.perform_seek` prevents. The watch
makes either kind visible, and cures the first, should a release bring it
(docs/operators.md, "Scaling out"; bench/two_worker_chaos.py looks for
stalls).

Faust has a check of its own, the consumer's livelock detector
(`verify_event_path` in faust-streaming 0.15.3's
transport/drivers/aiokafka.py, every 2.5 commit intervals). It logs
"Aiokafka has not sent fetch request for …" when aiokafka has not fetched a
partition for a while, and "Highwater not yet available for …", but (1) a
busy worker's partition whose fetched records wait their turn looks the same
to it (faust-streaming issues #166 and #629: such reports after rebalances,
with consumption unaffected); (2) it only logs; (3) it counts from the
worker's start, not from the group settling; and (4) it reaches into
aiokafka's private subscription state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from faust.types import TP

log = logging.getLogger(__name__)

# Long enough for a partition's first fetch after a rebalance, recovery included.
PATIENCE_SECONDS = 60.0


class FetchWatch:
    def __init__(
        self,
        app: Any,
        topics: Iterable[str],
        highwater: Callable[[TP], int | None],
        patience: float = PATIENCE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.topics = frozenset(topics)
        self.highwater = highwater
        self.patience = patience
        self.clock = clock
        # Since when each unfetched partition has been seen unfetched, in a settled group.
        self._unfetched_since: dict[TP, float] = {}
        # When each was last resumed: the next report waits a full `patience` after it.
        self._resumed_at: dict[TP, float] = {}

    def _settled(self) -> bool:
        app = self.app
        return not app.rebalancing and not app.in_recovery and app.consumer.flow_active

    def check(self) -> list[TP]:
        """Resume the partitions unfetched for longer than `patience`; which they were."""
        if not self._settled():
            self._unfetched_since.clear()
            self._resumed_at.clear()
            return []
        # The app's consumer is a streams.engine.faust_internals.ConsumerInternals.
        consumer = self.app.consumer
        taken = consumer.active_partitions | consumer.buffered_partitions
        unfetched = {
            tp
            for tp in consumer.assignment()
            if tp.topic in self.topics and (tp not in taken or self.highwater(tp) is None)
        }
        now = self.clock()
        since, resumed = self._unfetched_since, self._resumed_at
        for tp in list(since):
            if tp not in unfetched:
                del since[tp]
                resumed.pop(tp, None)
        for tp in unfetched:
            since.setdefault(tp, now)
        stuck = sorted(
            tp for tp, first in since.items() if now - resumed.get(tp, first) >= self.patience
        )
        if not stuck:
            return []
        active, paused = consumer.active_partitions, consumer.paused_partitions
        for tp in stuck:
            log.error(
                "assigned partition %s[%d] not fetched for %.0f s (active: %s, paused: %s, "
                "high watermark: %s); resuming it",
                tp.topic,
                tp.partition,
                now - resumed.get(tp, since[tp]),
                tp in active,
                tp in paused,
                self.highwater(tp),
            )
            resumed[tp] = now  # give the resume a full `patience` before saying so again
        consumer.resume_partitions(stuck)
        return stuck

    def longest_unfetched(self) -> tuple[TP, float] | None:
        """The partition seen unfetched the longest at the latest check, resumes or not,
        and for how many seconds now; None when every partition was fetched."""
        if not self._unfetched_since:
            return None
        tp, first = min(self._unfetched_since.items(), key=lambda item: item[1])
        return tp, self.clock() - first
