"""Where each input partition's offset commits must stop, whatever Faust's books say.

Faust commits, per partition, the run of acked offsets that starts at its
lowest acked one. It checks that run against the committed offset only when
there is one, and allows one missing offset even then: a partition that was
never committed has no guard at its head. A message fetched during start-up
recovery and dropped (flow paused), or a batch still in flight while a later
one is acked, could then be committed past, and lost on a crash.

`CommitGuard` keeps that head. The lowest offset delivered since a partition
was last positioned (assigned, sought) or committed is its base, and a
commit may only take a run of acked offsets that starts at or below it.
Messages the worker drops are also noted: their partition commits nothing
until the consumer has sought back to the lowest of them, so they are
fetched again before any offset past them is committed.

A partition's first delivery after it was positioned must start where it was
positioned. When two workers join at once, a fetch taken around the
rebalance can consume a just-sought partition's first records without
delivering them, and the next delivery starts further on (seen: offsets
382-390 of a partition sought to 382 never delivered, and committed past
as a gap). Such a delivery is refused, and the partition fetched again from
where it was positioned, once: offsets still missing then do not exist (a
compacted topic, transaction markers), and the delivery is taken.

So is every later delivery that starts past where the one before it ended.
Records can be taken off the consumer and never reach the fetch loop: seen
with two workers starting together, offsets 874-1728 of a partition taken
between two deliveries (0-873, then 1729 on), and committed as a gap.
"""

from __future__ import annotations

from collections.abc import Mapping

from faust.types import TP


class CommitGuard:
    def __init__(self) -> None:
        # The lowest offset per partition that may not be done yet.
        self.base: dict[TP, int] = {}
        # Partitions positioned anew, with the offset they were positioned at
        # (None: not known); their next delivered offset is their base.
        self.positioned: dict[TP, int | None] = {}
        # The lowest dropped offset per partition, to fetch again.
        self.refetch: dict[TP, int] = {}
        # Per partition, the position it was fetched again from because its
        # first delivery started past it.
        self.verified: dict[TP, int] = {}
        # The last offset committed per partition: everything below it is done,
        # so no base goes below it.
        self.done: dict[TP, int] = {}

    def delivered(self, tp: TP, offset: int, last: int | None = None) -> bool:
        """`offset` is the first of a delivery of `tp`'s messages, in offset order,
        and `last` the last offset delivered before it (None: not known): whether
        to deliver it. False when it starts past the offset `tp` was just
        positioned at, or past `last` + 1, the first time: the partition is
        then to be fetched again from there, and commits nothing past it until
        it has been. The delivery after that is the first after a positioning:
        past it again, the offsets between do not exist, and it is taken."""
        if tp in self.positioned:
            at = self.positioned.pop(tp)
            if at is not None and offset > at and self.verified.get(tp) != at:
                self._fetch_again_from(tp, at)
                self.base[tp] = max(at, self.done.get(tp, at))
                return False
            self.verified.pop(tp, None)
            # A seek back to messages dropped earlier can start below an offset
            # committed since (their later copies were processed meanwhile):
            # what lies below the commit is done, and holding the base there
            # would refuse every later commit.
            self.base[tp] = max(offset, self.done.get(tp, offset))
        elif last is not None and offset > last + 1:
            self._fetch_again_from(tp, last + 1)
            return False
        elif tp not in self.base:
            self.base[tp] = max(offset, self.done.get(tp, offset))
        return True

    def _fetch_again_from(self, tp: TP, at: int) -> None:
        """Refuse a delivery of `tp`: fetch it again from `at`, and take the next
        delivery as the first after a positioning at `at`, already looked at."""
        self.verified[tp] = at
        self.dropped(tp, at)
        self.positioned[tp] = at

    def repositioned(self, offsets: Mapping[TP, int | None]) -> None:
        """The consumer was sought to these offsets (None: not known): what it
        delivers next of each partition starts its base."""
        self.positioned.update(offsets)

    def dropped(self, tp: TP, offset: int) -> None:
        """A message at `offset` was fetched and not processed: it must be fetched again."""
        lowest = self.refetch.get(tp)
        if lowest is None or offset < lowest:
            self.refetch[tp] = offset

    def allows(self, tp: TP, lowest_done: int) -> bool:
        """Whether a run of acked offsets starting at `lowest_done` may be committed."""
        if tp in self.refetch:
            return False
        base = self.base.get(tp)
        return base is None or lowest_done <= base

    def committed(self, tp: TP, offset: int) -> None:
        """`offset` (the next one to read) is committed: nothing below it is outstanding."""
        self.base[tp] = offset
        self.done[tp] = offset
