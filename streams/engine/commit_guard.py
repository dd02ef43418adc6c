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
"""

from __future__ import annotations

from collections.abc import Iterable

from faust.types import TP


class CommitGuard:
    def __init__(self) -> None:
        # The lowest offset per partition that may not be done yet.
        self.base: dict[TP, int] = {}
        # Partitions positioned anew: their next delivered offset is their base.
        self.positioned: set[TP] = set()
        # The lowest dropped offset per partition, to fetch again.
        self.refetch: dict[TP, int] = {}

    def delivered(self, tp: TP, offset: int) -> None:
        """`offset` is the first of a delivery of `tp`'s messages, in offset order."""
        if tp in self.positioned or tp not in self.base:
            self.base[tp] = offset
            self.positioned.discard(tp)

    def repositioned(self, tps: Iterable[TP]) -> None:
        """The consumer was sought: what it delivers next for `tps` starts their base."""
        self.positioned.update(tps)

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
