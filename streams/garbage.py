"""The cyclic garbage collector's pace, for the long-running processes (worker, gateway)."""

from __future__ import annotations

import gc

# Objects allocated before the cyclic collector runs its youngest generation.
# Folding and scoring make many short-lived objects that reference counting
# frees anyway; at the default (700) the collector ran ~550 times per 100,000
# single-event messages and took ~15 % of the processing time. The gateway's
# parsed payloads are the same kind of garbage (~15 % of its time too).
GC_YOUNG_THRESHOLD = 100_000


def collect_garbage_less_often() -> None:
    """Run the cyclic collector less often, and never again over start-up's objects."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)
    gc.freeze()
