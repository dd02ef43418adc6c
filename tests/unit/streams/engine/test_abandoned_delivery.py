"""A fetch abandoned part way (the flow stops for a rebalance) is fetched again,
and nothing of it is committed unprocessed meanwhile."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from faust.types import TP
from intervaltree import IntervalTree

from streams.engine.abandoned_fetch import outlive, still_to_process
from streams.engine.bulk_consumer import BULK_SLICE, BulkDeliveryConsumer
from tests.unit.streams.engine.test_bulk_delivery import (
    ack,
    committing_consumer,
    consumer,
    fetch,
    fetching_consumer,
    message,
)
from tests.unit.streams.engine.test_commit_guard import Worker

LOGINS0, LOGINS1 = TP("logins", 0), TP("logins", 1)


async def abandon(instance: Any, delivery: Any, started: asyncio.Event) -> None:
    """Run `delivery` until the handler is busy with it, then cancel it, as
    `wait_first` does when the flow is suspended."""
    task = asyncio.ensure_future(delivery)
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_slice_being_handed_over_and_the_rest_of_its_partition_are_fetched_again() -> None:
    instance, _, _ = consumer({"logins"}, {})
    started = asyncio.Event()

    async def busy_handler(messages: list[Any]) -> None:
        started.set()
        await asyncio.Event().wait()  # the channel is full; the flow stops meanwhile

    instance.bulk.handler = busy_handler
    logins = [message("logins", 0, offset) for offset in range(100, 100 + BULK_SLICE + 10)]
    await abandon(instance, instance._deliver(fetch(*logins)), started)
    assert instance.guard.refetch == {LOGINS0: 100}
    assert instance.read_offsets[LOGINS0] == 100 + BULK_SLICE - 1, "the read offset moved on"
    assert not instance.guard.allows(LOGINS0, 100), "nothing commits before it is fetched again"


async def test_a_message_delivered_one_by_one_when_abandoned_is_fetched_again() -> None:
    instance, _, one_by_one = consumer(set(), {})
    started = asyncio.Event()
    callback = instance.callback

    async def stuck_at_the_third(each: Any) -> None:
        if each.offset == 2:
            started.set()
            await asyncio.Event().wait()
        await callback(each)

    instance.callback = stuck_at_the_third
    tickets = [message("tickets", 1, offset) for offset in range(5)]
    await abandon(instance, instance._deliver(fetch(*tickets)), started)
    assert [each.offset for each in one_by_one] == [0, 1]
    assert instance.guard.refetch == {TP("tickets", 1): 2}


async def test_partitions_of_an_abandoned_fetch_not_yet_taken_are_fetched_again() -> None:
    records = {
        LOGINS0: [SimpleNamespace(offset=offset) for offset in range(3)],
        LOGINS1: [SimpleNamespace(offset=offset) for offset in range(40, 45)],
    }

    dropped: list[tuple[TP, list[int]]] = []
    fetching = fetching_consumer(records, None, dropped)
    fetched = BulkDeliveryConsumer.getmany_by_partition(fetching, 1.0)  # type: ignore[arg-type]
    tp, first = await anext(fetched)
    assert tp == LOGINS0 and [each.offset for each in first] == [0, 1, 2]
    await fetched.aclose()  # the delivery was abandoned while it held logins[0]
    assert dropped == [(LOGINS1, [40, 41, 42, 43, 44])]


async def test_a_gap_noted_before_a_seek_back_does_not_commit_the_messages_it_covers() -> None:
    async def no_rows() -> None:
        pass

    instance, committed = committing_consumer(no_rows)
    # Offsets 10-20 were skipped once (a fetch delivered past them); the
    # partition is then sought back to 10 and reads them again.
    instance.gaps[LOGINS0] = IntervalTree.from_tuples([(10, 21)])
    instance.forget_gaps_from(LOGINS0, 10)
    for offset in [*range(10), *range(21, 30)]:
        ack(instance, LOGINS0, offset)  # 10-20 fetched again, not processed yet
    assert await instance.force_commit()
    assert committed == [{LOGINS0: 10}], "the commit stops where processing stopped"


async def test_gaps_below_the_offset_sought_to_still_count() -> None:
    instance, _ = committing_consumer(None)
    instance.gaps[LOGINS0] = IntervalTree.from_tuples([(3, 5), (10, 21)])
    instance.forget_gaps_from(LOGINS0, 15)
    assert sorted((gap.begin, gap.end) for gap in instance.gaps[LOGINS0]) == [(3, 5), (10, 15)]


def noting_gaps(instance: Any) -> list[tuple[int, int]]:
    """The gaps the consumer notes in Faust's books, in a list instead."""
    gaps: list[tuple[int, int]] = []

    async def add_gap(tp: TP, offset_from: int, offset_to: int) -> None:
        gaps.append((offset_from, offset_to))

    instance.add_gap = add_gap
    return gaps


async def test_a_delivery_starting_past_where_the_last_ended_is_fetched_again_first() -> None:
    instance, handed, _ = consumer({"logins"}, {})
    await instance._deliver(fetch(*(message("logins", 1, offset) for offset in range(874))))
    # Offsets 874-1728 were taken off the consumer and never reached the fetch loop.
    later = [message("logins", 1, offset) for offset in range(1729, 1789)]
    await instance._deliver(fetch(*later))
    assert [len(each) for each in handed] == [874], "nothing past the missing offsets"
    assert instance.guard.refetch == {LOGINS1: 874}
    assert not instance.guard.allows(LOGINS1, 0), "nothing commits before they are fetched again"


async def test_offsets_still_missing_when_fetched_again_are_taken_as_a_gap() -> None:
    instance, handed, _ = consumer({"logins"}, {LOGINS1: 9})
    gaps = noting_gaps(instance)
    after_markers = [message("logins", 1, offset) for offset in (12, 13)]
    await instance._deliver(fetch(*after_markers))
    assert handed == [] and instance.guard.refetch == {LOGINS1: 10}
    del instance.guard.refetch[LOGINS1]  # sought back to 10: offsets 10-11 do not exist
    await instance._deliver(fetch(*after_markers))
    assert [[each.offset for each in piece] for piece in handed] == [[12, 13]]
    assert gaps == [(10, 12)], "Faust's books get the gap"


async def test_a_real_gap_found_past_the_last_delivery_costs_one_fetch_again() -> None:
    instance, handed, _ = consumer({"logins"}, {LOGINS1: 9})
    noting_gaps(instance)
    after_compaction = [message("logins", 1, offset) for offset in (40, 41)]
    await instance._deliver(fetch(*after_compaction))
    assert handed == [] and instance.guard.refetch == {LOGINS1: 10}
    # The fetch loop seeks back to 10, as `seek` does: Faust reads on from there.
    del instance.guard.refetch[LOGINS1]
    instance.read_offsets[LOGINS1] = 10
    instance.guard.repositioned({LOGINS1: 10})
    await instance._deliver(fetch(*after_compaction))
    assert [[each.offset for each in piece] for piece in handed] == [[40, 41]]
    assert instance.guard.refetch == {}, "offsets 10-39 do not exist: taken once seen again"


def consumer_thread_fetch(
    worker: Any, records: list[int], arrived: asyncio.Event, called: asyncio.Event
) -> Any:
    """A fetch of Faust's consumer thread: the caller awaits a promise, while the
    thread waits for `records` to arrive, takes them off aiokafka (its position
    moves past them) and settles the promise, unless its caller has left."""

    def getmany(active_partitions: Any, timeout: float) -> asyncio.Future[Any]:
        promise = asyncio.get_running_loop().create_future()

        async def in_the_thread() -> None:
            await arrived.wait()
            worker.position = records[-1] + 1
            if not promise.cancelled():
                promise.set_result({LOGINS0: [SimpleNamespace(offset=o) for o in records]})

        worker.threads.append(asyncio.ensure_future(in_the_thread()))
        called.set()
        return promise

    return getmany


async def test_records_a_fetch_takes_after_the_flow_stopped_are_fetched_again() -> None:
    """A worker joining: the flow stops (recovery seeks) while the consumer thread
    waits for records, and the newest records arrive just after: the thread
    takes them for a fetch loop that is no longer waiting."""
    worker = Worker()
    worker.flowing = True
    worker.threads = []
    consumer = worker.consumer
    await worker.fetch(0, 14)
    assert await worker.commit() == {LOGINS0: 15}
    arrived, called = asyncio.Event(), asyncio.Event()
    fetch = consumer_thread_fetch(worker, list(range(15, 55)), arrived, called)
    consumer.consumer_thread.getmany = fetch
    fetching = asyncio.ensure_future(consumer.fetch_records({LOGINS0}, 1.0))
    await called.wait()
    fetching.cancel()  # the flow stopped: `wait_first` abandons the delivery
    arrived.set()
    await asyncio.gather(*worker.threads)
    await asyncio.sleep(0)
    assert worker.position == 55, "aiokafka counts them as consumed"
    assert consumer.guard.refetch == {LOGINS0: 15}
    assert await worker.commit() == {LOGINS0: 15}, "nothing past them commits meanwhile"
    await worker.fetch(15, 54)  # the fetch loop seeks back to 15 first
    assert worker.sought[-1] == (LOGINS0, 15)
    assert sorted(set(worker.processed)) == list(range(55))
    assert await worker.commit() == {LOGINS0: 55}


async def test_a_fetch_its_caller_still_waits_for_is_returned_as_is() -> None:
    abandoned: list[Any] = []
    assert await outlive(asyncio.sleep(0, result={LOGINS0: [1]}), abandoned.append) == {
        LOGINS0: [1]
    }
    assert abandoned == []


def test_of_an_abandoned_fetch_only_what_is_assigned_and_not_committed_is_fetched_again() -> None:
    records = {
        LOGINS0: [SimpleNamespace(offset=o) for o in range(10, 20)],
        LOGINS1: [SimpleNamespace(offset=o) for o in range(3)],
        TP("logins", 2): [SimpleNamespace(offset=o) for o in range(5)],
    }
    pending = still_to_process(records, {LOGINS0, TP("logins", 2)}, {LOGINS0: 15})
    assert {tp: [r.offset for r in rs] for tp, rs in pending.items()} == {
        LOGINS0: [15, 16, 17, 18, 19],
        TP("logins", 2): [0, 1, 2, 3, 4],
    }, "logins[1] was revoked; below 15 is done"
