"""A message the worker drops is fetched again before any offset past it is committed.

The start-up race: a never-committed partition's first fetch arrives while
Faust still holds the flow for recovery; the agent drops it; later messages
are processed and acked. Faust's books alone then commit past the dropped
ones (they check the head of a partition only against a committed offset).
And the rebalance race: a fetch in flight while recovery seeks a partition
back must not count as delivered what the seek fetches again.
These tests drive the real consumer class, with Faust's own ack books, through
those sequences.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any
from weakref import WeakSet

from faust.types import TP
from faust.types.tuples import ConsumerMessage
from intervaltree import IntervalTree

from streams.engine.acks import Inbox
from streams.engine.bulk_consumer import BulkDelivery, BulkDeliveryConsumer
from streams.engine.commit_guard import CommitGuard

GENERATION = 3
LOGINS = TP("logins", 0)


def message(offset: int, tp: TP = LOGINS) -> Any:
    return ConsumerMessage(
        tp.topic, tp.partition, offset, 0.0, 0, [], b"k", b"v", None, generation_id=GENERATION
    )


class _RunningConsumer(BulkDeliveryConsumer):
    should_stop = False  # a consumer neither stopping nor crashed


class Worker:
    """A BulkDeliveryConsumer with Faust's ack books, an app around it, and an agent
    that admits each delivery through an Inbox and acks what it admitted."""

    def __init__(self) -> None:
        self.flowing = False
        self.committed: list[dict[TP, int]] = []
        self.sought: list[tuple[TP, int]] = []
        self.position = 0
        self.processed: list[int] = []
        consumer: Any = object.__new__(_RunningConsumer)
        self.consumer = consumer
        consumer.guard = CommitGuard()
        consumer.log = SimpleNamespace(dev=lambda *a: None, info=lambda *a: None)
        consumer.app = SimpleNamespace(
            topics=SimpleNamespace(acks_enabled_for=lambda topic: True),
            flow_control=SimpleNamespace(is_active=lambda: self.flowing),
            consumer_generation_id=GENERATION,
            consumer=consumer,
            sensors=SimpleNamespace(
                on_commit_initiated=lambda consumer: None,
                on_commit_completed=lambda consumer, state: None,
            ),
        )
        consumer.callback = None
        consumer.read_offsets = defaultdict(lambda: None)
        consumer.commit_every = None
        consumer.acked_offsets = defaultdict(list)
        consumer.acked_index = defaultdict(set)
        consumer.gaps = defaultdict(IntervalTree)
        consumer.committed_offsets = defaultdict(lambda: None)
        consumer.unacked_messages = WeakSet()
        consumer.n_acked = 0
        consumer.waiting_for_ack = None
        consumer.diag = SimpleNamespace(set_flag=lambda flag: None, unset_flag=lambda flag: None)
        consumer.consumer_thread = SimpleNamespace(
            seek=self._seek,
            position=self._position,
            assignment=lambda: {LOGINS},
            seek_to_committed=self._seek_to_committed,
            earliest_offsets=self._earliest_offsets,
            highwater=lambda tp: self.position,
        )
        # Faust's flow, which a rebalance stops and recovery resumes.
        consumer.flow_active = True
        consumer.can_resume_flow = asyncio.Event()
        consumer.suspend_flow = asyncio.Event()
        consumer.buffered_partitions = set()
        consumer.seeking = asyncio.Lock()
        consumer.to_message = lambda tp, record: record
        consumer.app.monitor = SimpleNamespace(track_tp_end_offset=lambda tp, offset: None)

        async def handle_attached(offsets: dict[TP, int]) -> None:
            pass

        async def commit_offsets(offsets: dict[TP, int], start_new_transaction: bool) -> bool:
            self.committed.append(dict(offsets))
            consumer.committed_offsets.update(offsets)
            return True

        consumer.handle_attached = handle_attached
        consumer.commit_offsets = commit_offsets
        self.inbox = Inbox(_AppView(consumer.app))
        delivery = BulkDelivery()
        delivery.register({"logins"}, self._agent)
        consumer.bulk = delivery

    def _seek(self, tp: TP, offset: int) -> None:
        self.sought.append((tp, offset))
        self.position = offset

    async def _position(self, tp: TP) -> int:
        return self.position

    async def _seek_to_committed(self) -> dict[TP, int | None]:
        # aiokafka seeks only partitions with a committed offset above 0.
        committed = self.consumer.committed_offsets[LOGINS]
        if committed:
            self._seek(LOGINS, committed)
        return {LOGINS: committed}

    async def _earliest_offsets(self, *tps: TP) -> dict[TP, int]:
        return dict.fromkeys(tps, 0)

    async def _agent(self, messages: list[Any]) -> None:
        admitted = self.inbox.admit(messages)
        self.processed += [each.offset for each in admitted]
        self.inbox.ack(admitted)

    async def fetch(self, first: int, last: int, *, loop: bool = True) -> None:
        """The consumer's fetch loop delivering offsets first..last, as one fetch;
        `loop=False`: a fetch delivered before the loop came round again."""
        if loop and self.consumer.guard.refetch and self.flowing:
            await self.consumer._fetch_dropped_again()
        self.position = last + 1
        await self.consumer._deliver(_fetched([message(o) for o in range(first, last + 1)]))

    async def commit(self) -> dict[TP, int]:
        await self.consumer.force_commit()
        return self.committed[-1] if self.committed else {}


class _AppView:
    """What the Inbox reads of the app: flow, generation, consumer, sensors (none)."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self.sensors: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)


async def _fetched(messages: list[Any]) -> AsyncIterator[tuple[TP, list[Any]]]:
    yield LOGINS, messages


async def test_a_fetch_dropped_during_start_up_recovery_is_never_committed_past() -> None:
    worker = Worker()
    await worker.fetch(0, 101)  # flow still held for recovery: dropped
    assert worker.processed == []
    worker.flowing = True
    worker.consumer.guard.refetch.clear()  # as if the drop had gone unnoticed
    await worker.fetch(102, 200)
    assert worker.processed == list(range(102, 201))
    assert await worker.commit() == {}, "offsets 0-101 were never processed"


async def test_dropped_messages_are_fetched_again_and_then_committed() -> None:
    worker = Worker()
    await worker.fetch(0, 101)
    worker.flowing = True
    await worker.fetch(102, 200, loop=False)  # delivered before the consumer seeks back
    assert await worker.commit() == {}
    await worker.fetch(0, 200)  # the fetch loop seeks back to 0 first
    assert worker.sought == [(LOGINS, 0)]
    assert sorted(set(worker.processed)) == list(range(201))
    assert await worker.commit() == {LOGINS: 201}


async def test_a_batch_still_in_flight_holds_back_a_later_batch_acked_first() -> None:
    worker = Worker()
    worker.flowing = True
    worker.consumer.guard.delivered(LOGINS, 0)
    first = worker.inbox.admit([message(o) for o in range(0, 50)])
    later = worker.inbox.admit([message(o) for o in range(50, 100)])
    worker.inbox.ack(later)
    assert await worker.commit() == {}, "offsets 0-49 are still being processed"
    worker.inbox.ack(first)
    assert await worker.commit() == {LOGINS: 100}


async def test_recovery_seeks_a_never_committed_partition_back_to_its_beginning() -> None:
    worker = Worker()
    await worker.fetch(0, 101)  # dropped: flow held for recovery
    await worker.consumer.perform_seek()  # what recovery does before resuming the flow
    assert worker.sought == [(LOGINS, 0)]
    worker.flowing = True
    await worker.fetch(0, 150)
    assert worker.processed == list(range(151))
    assert await worker.commit() == {LOGINS: 151}


async def test_a_fetch_in_flight_while_recovery_seeks_is_fetched_again_not_skipped() -> None:
    """Faust's recovery resumes the input partitions, with the flow running since
    the changelog replay, and then seeks them: here a partition never committed,
    back to its beginning, while a fetch of offsets 487-498 is on its way."""
    worker = Worker()
    worker.flowing = True
    consumer = worker.consumer
    in_flight = asyncio.Event()

    async def fetch_in_flight(seconds: float) -> tuple[dict[TP, list[Any]], set[TP]]:
        await in_flight.wait()
        return {LOGINS: [message(o) for o in range(487, 499)]}, {LOGINS}

    consumer.wait_next_records = fetch_in_flight
    delivering = asyncio.ensure_future(consumer._deliver(consumer.getmany_by_partition(1.0)))
    await asyncio.sleep(0)
    await consumer.perform_seek()
    in_flight.set()
    await delivering
    consumer.resume_flow()  # what recovery does once the seek is done
    await worker.fetch(0, 526)
    assert worker.processed[:1] == [0], "what the seek fetches again is processed, not skipped"
    assert sorted(set(worker.processed)) == list(range(527))
    assert await worker.commit() == {LOGINS: 527}


async def test_a_seek_back_under_way_when_recovery_seeks_does_not_skip_past_what_it_sought() -> (
    None
):
    """The fetch loop seeks back to dropped messages where it found the consumer
    ahead of them; recovery seeks every partition meanwhile."""
    worker = Worker()
    worker.flowing = True
    consumer = worker.consumer
    consumer.guard.dropped(LOGINS, 300)  # dropped during the rebalance...
    worker.position = 350  # ...and the consumer went past them
    asked, answered = asyncio.Event(), asyncio.Event()

    async def position(tp: TP) -> int:
        asked.set()
        await answered.wait()
        return 350  # where it stood when asked

    consumer.consumer_thread.position = position
    seeking_back = asyncio.ensure_future(consumer._fetch_dropped_again())
    await asked.wait()
    recovering = asyncio.ensure_future(consumer.perform_seek())  # never committed: to 0
    await asyncio.sleep(0)
    answered.set()
    await asyncio.gather(seeking_back, recovering)
    consumer.resume_flow()
    await worker.fetch(worker.position, 400)
    assert sorted(set(worker.processed)) == list(range(401))
    assert await worker.commit() == {LOGINS: 401}


async def test_records_consumed_around_a_rebalance_are_fetched_again_not_committed_past() -> None:
    """Two workers joining at once: a partition sought to its committed offset
    382 next delivered from 391, the records in between taken by a fetch around
    the rebalance and never delivered (bench/two_worker_chaos.py, one run in ~20)."""
    worker = Worker()
    worker.flowing = True
    await worker.fetch(0, 381)
    assert await worker.commit() == {LOGINS: 382}
    await worker.consumer.perform_seek()  # the rebalance's recovery seeks to 382
    worker.consumer.resume_flow()
    await worker.fetch(391, 403, loop=False)
    assert worker.processed == list(range(382)), "the delivery from 391 is refused"
    assert await worker.commit() == {LOGINS: 382}
    await worker.fetch(382, 420)  # the fetch loop seeks back to 382 first
    assert worker.sought[-1] == (LOGINS, 382)
    assert worker.processed == list(range(421))
    assert await worker.commit() == {LOGINS: 421}


async def test_a_gap_at_the_head_of_a_compacted_partition_is_committed_past_after_one_look() -> (
    None
):
    worker = Worker()
    worker.flowing = True
    await worker.consumer.perform_seek()  # never committed: to its beginning, 0
    worker.consumer.resume_flow()
    await worker.fetch(12, 40, loop=False)  # offsets 0-11 were compacted away
    assert worker.processed == []
    await worker.fetch(12, 40)  # sought back to 0, and the partition still starts at 12
    assert worker.sought[-1] == (LOGINS, 0)
    assert worker.processed == list(range(12, 41))
    assert await worker.commit() == {LOGINS: 41}


async def test_a_seek_back_to_dropped_messages_below_a_later_commit_holds_no_commit_back() -> None:
    """Seen in make two-worker-chaos: offsets 557-600 were dropped, then fetched
    and processed again while the fetch loop sought back to 557; 601 was
    committed; the seek back's delivery from 557 then set the base to 557, and
    every later commit (acked runs start at 601) was refused: a stall."""
    worker = Worker()
    worker.flowing = True
    consumer = worker.consumer
    await worker.fetch(0, 556)
    consumer.guard.dropped(LOGINS, 557)  # a delivery of 557-600 was dropped...
    await worker.fetch(557, 600, loop=False)  # ...and fetched again before the seek back
    await consumer._fetch_dropped_again()  # sought back to 557 all the same
    assert worker.sought[-1] == (LOGINS, 557)
    consumer.guard.refetch.clear()
    assert await worker.commit() == {LOGINS: 601}
    await worker.fetch(557, 628, loop=False)  # the seek back's delivery
    assert await worker.commit() == {LOGINS: 629}, "commits go on past 601"


def test_the_base_follows_commits_and_positions() -> None:
    guard = CommitGuard()
    guard.delivered(LOGINS, 10)
    guard.delivered(LOGINS, 20)  # a later delivery does not move the base
    assert guard.allows(LOGINS, 10) and not guard.allows(LOGINS, 11)
    guard.committed(LOGINS, 30)
    assert guard.allows(LOGINS, 30) and not guard.allows(LOGINS, 31)
    guard.repositioned({LOGINS: None})  # sought where the guard was not told
    assert guard.delivered(LOGINS, 35)
    assert guard.allows(LOGINS, 35)


def test_a_delivery_starting_past_the_position_is_refused_once_then_taken() -> None:
    guard = CommitGuard()
    guard.committed(LOGINS, 30)
    guard.repositioned({LOGINS: 30})
    assert not guard.delivered(LOGINS, 35), "offsets 30-34 may exist: fetch them first"
    assert guard.refetch == {LOGINS: 30}
    assert not guard.allows(LOGINS, 35)
    del guard.refetch[LOGINS]  # what the fetch loop's seek back does
    guard.repositioned({LOGINS: 30})
    assert guard.delivered(LOGINS, 35), "fetched again from 30, still from 35: a real gap"
    assert guard.allows(LOGINS, 35)


def test_a_partition_with_dropped_messages_commits_nothing_until_fetched_again() -> None:
    guard = CommitGuard()
    guard.delivered(LOGINS, 0)
    guard.dropped(LOGINS, 7)
    guard.dropped(LOGINS, 5)
    assert guard.refetch == {LOGINS: 5}
    assert not guard.allows(LOGINS, 0)


def test_a_message_a_faust_stream_skipped_and_acked_is_fetched_again_not_counted_done() -> None:
    worker = Worker()
    skipped, taken = message(40), message(41)
    taken.tracked = True  # a stream tracks a message when it takes it
    for each in (skipped, taken):
        each.incref()
        each.ack(worker.consumer)
    assert worker.consumer.acked_offsets[LOGINS] == [41]
    assert worker.consumer.guard.refetch == {LOGINS: 40}
