"""Finds assigned input partitions the consumer never fetches, says so, and resumes them.

Two workers joining a group at once sometimes leave some of a worker's
assigned partitions unfetched: no error, /readyz 200, lag that never
shrinks (it matches faust-streaming issue #629). A partition the broker has
answered a fetch for has a known high watermark, so one without, long after
the group settled, has never been fetched. Faust fetches only the partitions
in its consumer's active set; the watch logs where such a partition stands
(active, paused) and puts it back in that set, which is all a resume does.
Only the bulk-delivered input topics are watched: Faust's conductor never
takes them out of the set for backpressure, so a resume cannot undo that.

Why not Faust's own check: its consumer's livelock detector
(`Consumer.verify_all_partitions_active`, every 2.5 commit intervals) logs
"Aiokafka has not sent fetch request for …" or "Highwater not yet
available for …" (faust-streaming 0.15.3, transport/drivers/aiokafka.py
`verify_event_path`) for the same symptom, but (1) only logs, and the
partition stays unfetched until the worker restarts; (2) counts from the
worker's start, not from the group settling, so after a rebalance hours
into a run it reports at once; and (3) reaches into aiokafka's private
subscription state to do so. This watch
resumes the partition, which is what brings a stalled worker back (issue
#629 of faust-streaming, open at 0.15.3, has no fix). Retire it when Faust
resumes such partitions itself (docs/upgrading-faust.md).
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
        consumer = self.app.consumer
        unfetched = {
            tp
            for tp in consumer.assignment()
            if tp.topic in self.topics and self.highwater(tp) is None
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
        # The app's consumer is a streams.faust_internals.ConsumerInternals.
        active, paused = consumer.active_partitions, consumer.paused_partitions
        for tp in stuck:
            log.error(
                "assigned partition %s[%d] not fetched for %.0f s (active: %s, paused: %s); "
                "resuming it",
                tp.topic,
                tp.partition,
                now - resumed.get(tp, since[tp]),
                tp in active,
                tp in paused,
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
