"""A fetch of faust's consumer thread that outlives the fetch loop waiting for it.

faust runs aiokafka in a thread of its own. A fetch is a call into that
thread: aiokafka waits up to a second for records, then hands them over and
moves each partition's position past them. The fetch loop waiting for the
answer is cancelled the moment the consumer's flow stops (a rebalance, or a
seek to committed offsets when recovery completes); the thread's call is
not, and the records it takes after that reach no one. Nothing reads a
partition again below its position: those records would wait unprocessed
until a later record of the same partition showed the hole (the commit
guard's check), and for ever if none came. Seen with two workers: a worker
joining took a partition's 40 newest records this way, one second after it
was ready, and never processed them.

`outlive` lets the call finish, and gives what it brought after its caller
left to `after_abandon`; `still_to_process` says which of those records the
consumer is to fetch again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


async def outlive(fetch: Awaitable[T], after_abandon: Callable[[T], None]) -> T:
    """Await `fetch`; cancelled meanwhile, let it run on and hand its result to
    `after_abandon` once it has one (a failed fetch took nothing)."""
    call = asyncio.ensure_future(fetch)
    try:
        return await asyncio.shield(call)
    except asyncio.CancelledError:
        call.add_done_callback(lambda done: _hand_over(done, after_abandon))
        raise


def _hand_over(done: asyncio.Future[T], after_abandon: Callable[[T], None]) -> None:
    if done.cancelled() or done.exception() is not None:
        return
    after_abandon(done.result())


def still_to_process(
    records: Mapping[Any, Sequence[Any]] | None,
    assigned: Collection[Any],
    committed: Mapping[Any, int | None],
) -> dict[Any, list[Any]]:
    """The records of an abandoned fetch to fetch again, per partition: those of
    partitions still assigned, at or past the partition's committed offset
    (below it, they were processed before a seek back)."""
    pending = {}
    for tp, tp_records in (records or {}).items():
        if tp not in assigned:
            continue  # its new owner reads it from the committed offset
        done = committed.get(tp)
        kept = [record for record in tp_records if done is None or record.offset >= done]
        if kept:
            pending[tp] = kept
    return pending
