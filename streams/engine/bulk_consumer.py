"""Faust's Kafka consumer, handing the input topics to the agent a fetch at a time.

Faust passes every fetched message on by itself: for each one its fetch loop
(`Consumer._drain_messages`) starts four tasks to race the delivery against a
rebalance, then the conductor decodes the message into an Event and queues
it, and the stream takes it off the queue again. On this machine that is
~80 µs per message, more than folding and scoring the event it carries.
This consumer races a whole fetch against a rebalance instead, and gives the
messages of the topics registered with the app's `BulkDelivery` to one
handler as a list; every other topic (table changelogs, for one) still goes
message by message through Faust's conductor.

The loop follows `Consumer._drain_messages` of faust-streaming 0.15: the same
read-offset bookkeeping, gap tracking and periodic commit, and a fetch that
is abandoned the moment the consumer suspends its flow for a rebalance, as
Faust abandons each message's delivery. What Faust then relies on to fetch
the abandoned messages again, and what it commits, is made safe by a
`CommitGuard` (see streams.engine.commit_guard).

faust's private names this takes (the fetch loop, the commit and the ack
books) are reached through `ConsumerInternals`, which lists them with the
version they were read from (streams.engine.faust_internals).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from typing import Any

from aiokafka.errors import IllegalStateError
from faust.exceptions import ConsumerNotStarted, ProducerSendError
from faust.types import TP, Message
from mode.utils.futures import notify

from streams.engine.abandoned_fetch import outlive, still_to_process
from streams.engine.commit_guard import CommitGuard
from streams.engine.faust_internals import CONSUMER_FETCHING, ConsumerInternals, ack_lock, stop_test

log = logging.getLogger(__name__)

BulkHandler = Callable[[list[Message]], Awaitable[None]]
CommitHook = Callable[[], Awaitable[None]]

# Hand a fetch on in slices of at most this many messages, so one large fetch
# does not wait whole in memory while the agent is busy.
BULK_SLICE = 2_000
YIELD_EVERY = 100


class BulkDelivery:
    """Which topics go to which handler in bulk, and what must be done before each
    offset commit; kept by the app, read by its consumer."""

    def __init__(self) -> None:
        self.topics: frozenset[str] = frozenset()
        self.handler: BulkHandler | None = None
        self.before_commit: CommitHook | None = None

    def register(
        self, topics: set[str], handler: BulkHandler, before_commit: CommitHook | None = None
    ) -> None:
        self.topics = frozenset(topics)
        self.handler = handler
        self.before_commit = before_commit


class BulkDeliveryConsumer(ConsumerInternals):
    """aiokafka consumer whose fetch loop delivers the app's bulk topics as lists."""

    bulk: BulkDelivery
    guard: CommitGuard

    def __init__(self, *args: Any, bulk: BulkDelivery, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bulk = bulk
        self.guard = CommitGuard()
        # Recovery's seeks and the fetch loop's seeks back, one after the other.
        self.seeking = asyncio.Lock()

    def fetch_again(self, messages: Iterable[Message]) -> None:
        """These messages were fetched and dropped: fetch them again, and commit
        nothing of their partitions past them meanwhile."""
        acks_enabled_for = self.app.topics.acks_enabled_for
        for message in messages:
            if acks_enabled_for(message.topic):
                self.guard.dropped(message.tp, message.offset)

    def ack(self, message: Message) -> bool:
        # A Faust stream acks the messages it skips, fetched before a rebalance
        # or while one held the flow, "otherwise the lag would increase"; they
        # were never processed (a stream tracks a message only once it takes
        # it), so they are fetched again instead of counted as done.
        if not message.tracked and self.app.topics.acks_enabled_for(message.topic):
            message.acked = True
            self.guard.dropped(message.tp, message.offset)
            return False
        acked: bool = super().ack(message)
        return acked

    def new_offset(self, tp: TP) -> int | None:
        # Faust's own head check is skipped for a partition never committed.
        acked = self.acked_offsets[tp]
        if acked:
            lowest = min(acked)
            gaps = self.gaps[tp]
            if gaps:
                lowest = min(lowest, gaps.begin())
            if not self.guard.allows(tp, lowest):
                return None
        offset: int | None = super().new_offset(tp)
        if offset is not None:
            self.guard.committed(tp, offset)
        return offset

    async def seek(self, partition: TP, offset: int) -> None:
        await super().seek(partition, offset)
        self.forget_gaps_from(partition, offset)
        self.guard.repositioned({partition: offset})

    def forget_gaps_from(self, tp: TP, offset: int | None) -> None:
        """The partition is read again from `offset`: forget the gaps noted past it.
        Faust counts every gap below its highest acked offset as done, and
        never clears one: a gap noted before a seek back would let a commit
        pass the messages fetched again there, processed or not. Real gaps are
        noted again as the partition is read."""
        gaps = self.gaps.get(tp)
        if gaps and offset is not None:
            gaps.chop(offset, max(offset, gaps.end()) + 1)

    async def perform_seek(self) -> None:
        """Seek every partition to its committed offset, as Faust does, and
        those never committed to their beginning, which Faust leaves where
        they are: messages fetched and dropped before are then fetched again.

        The flow stops first, and stays stopped: whoever seeks resumes it once
        done (Faust's recovery right after, a rebalance when it completes).
        Faust's recovery resumes the flow before it seeks; a fetch taken
        before the seek and delivered after it would move the read offset
        past the messages the seek is to deliver again, skipped then as
        delivered, and their partition would never commit again. A seek back
        of the fetch loop's own (`_fetch_dropped_again`) finishes first.
        """
        self.stop_flow()
        async with self.seeking:
            await super().perform_seek()
            assigned = self.assignment()
            acks_enabled_for = self.app.topics.acks_enabled_for
            committed = self.committed_offsets
            # Faust sought each partition with a committed offset there.
            for tp in assigned:
                self.forget_gaps_from(tp, committed.get(tp))
            self.guard.repositioned({tp: committed.get(tp) for tp in assigned})
            never = [tp for tp in assigned if acks_enabled_for(tp.topic) and not committed.get(tp)]
            if never:
                earliest = await self.earliest_offsets(*never)
                for tp in never:
                    # A partition revoked meanwhile is its new owner's to read.
                    with contextlib.suppress(IllegalStateError):
                        await self.seek(tp, earliest[tp])

    async def _fetch_dropped_again(self) -> None:
        """Seek back to the lowest dropped offset of each partition still assigned,
        unless the consumer stands there or before it already."""
        async with self.seeking:
            assigned = self.assignment()
            for tp, offset in list(self.guard.refetch.items()):
                if tp in assigned:
                    with contextlib.suppress(IllegalStateError):
                        position = await self.position(tp)
                        if position is None or position > offset:
                            log.info(
                                "%s[%d]: fetching again from %d", tp.topic, tp.partition, offset
                            )
                            await self.seek(tp, offset)
                if self.guard.refetch.get(tp) == offset:
                    del self.guard.refetch[tp]

    def ack_all(self, messages: Iterable[Message]) -> list[Message]:
        """Release one reference of each message, as `Message.ack` does one at a
        time; the messages this made committable, in order.

        The same bookkeeping as `Consumer.ack` after `Message.ack`, under one
        take of faust's ack lock rather than three per message.
        """
        acked: list[Message] = []
        acks_enabled_for = self.app.topics.acks_enabled_for
        committed_offsets = self.committed_offsets
        acked_index_of, acked_of = self.acked_index, self.acked_offsets
        unacked = self.unacked_messages
        with ack_lock:
            for message in messages:
                if message.acked:
                    continue
                message.refcount = max(message.refcount - 1, 0)
                if message.refcount:
                    continue
                message.acked = True
                if not acks_enabled_for(message.topic):
                    continue
                tp, offset = message.tp, message.offset
                committed = committed_offsets[tp]
                if committed is not None and offset < committed:
                    continue
                acked_index = acked_index_of[tp]
                if offset in acked_index:
                    continue
                unacked.discard(message)
                acked_index.add(offset)
                acked_of[tp].append(offset)
                acked.append(message)
            self.n_acked += len(acked)
        notify(self.waiting_for_ack)
        return acked

    async def commit_tps(self, tps: Any, start_new_transaction: bool) -> bool:
        # Every commit, whoever asks for it (the commit timer, a rebalance, the
        # worker stopping), first lets the handler write what the acked messages
        # changed: offsets must never run ahead of the state they produced. The
        # offsets are taken before the hook runs, so batches the agent processes
        # while the rows are being written wait for the next commit.
        offsets = self.filter_committable_offsets(tps)
        if self.bulk.before_commit is not None:
            await self.bulk.before_commit()
        if not offsets:
            return False
        try:
            await self.handle_attached(offsets)
        except ProducerSendError as exc:
            await self.crash(exc)
            return False
        done: bool = await self.commit_offsets(offsets, start_new_transaction=start_new_transaction)
        return done

    async def fetch_records(self, active_partitions: set[TP] | None, wait_seconds: float) -> Any:
        # The fetch loop is cancelled when the flow stops; the consumer thread's
        # fetch goes on (streams.engine.abandoned_fetch).
        fetch = super().fetch_records(active_partitions, wait_seconds)
        return await outlive(fetch, self._fetched_after_abandon)

    def _fetched_after_abandon(self, records: Any) -> None:
        try:
            assigned = self.assignment()
        except ConsumerNotStarted:
            return  # stopping
        pending = still_to_process(records, assigned, self.committed_offsets)
        if pending:
            log.info(
                "a fetch ended after its delivery was abandoned: %d records of %d partitions, "
                "to fetch again",
                sum(map(len, pending.values())),
                len(pending),
            )
            self._drop_records(pending)

    async def drain_messages(self, fetcher: Any) -> None:
        consumer_should_stop = stop_test(self)
        fetcher_should_stop = stop_test(fetcher)
        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                if not self.flow_active:
                    # Wait for the flow, rather than start fetch after fetch that the
                    # suspended flow abandons at once.
                    await self.wait(self.can_resume_flow.wait())
                    continue
                self.diag.set_flag(CONSUMER_FETCHING)
                if self.guard.refetch and self.flow_active and self.app.flow_control.is_active():
                    await self._fetch_dropped_again()
                fetched = self.getmany_by_partition(1.0)
                await self.sleep(0)
                if not self.should_stop:
                    await self.wait_first(self._deliver(fetched), self.suspend_flow.wait())
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                self.log.info("Broker stopped consumer, shutting down...")
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                self.log.info("Consumer shutting down for user cancel.")
                return
            raise
        except Exception as exc:
            self.log.exception("Drain messages raised: %r", exc)
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)

    async def getmany_by_partition(
        self, wait_seconds: float
    ) -> AsyncGenerator[tuple[TP, list[Message]], None]:
        """One fetch, a partition's messages at a time.

        `Consumer.getmany` yields message by message, taking the partitions in
        turns, and checks the flow, the generation and the partition's high
        watermark for each; per partition is as safe (the whole fetch is raced
        against a rebalance), and the per-message part of that was a tenth of
        a worker's time under load.
        """
        records, active_partitions = await self.wait_next_records(wait_seconds)
        if records is None or self.should_stop:
            return
        if not self.flow_active:
            self._drop_records(records)
            try:
                await self.perform_seek()
            except Exception as exc:
                self.log.warning(f"exception performing seek when flow not active {exc}")
            return
        app = self.app
        generation_id = app.consumer_generation_id
        to_message = self.to_message
        buffered = self.buffered_partitions
        # The partitions not yet handed on: if the delivery is abandoned (the
        # flow stops for a rebalance) and closes this, they are fetched again.
        untaken = dict(records)
        try:
            for tp, tp_records in records.items():
                del untaken[tp]
                if not self.flow_active or app.consumer_generation_id != generation_id:
                    self._drop_records({tp: tp_records})  # and the partitions after it
                    continue
                if active_partitions is None or tp in active_partitions or tp in buffered:
                    app.monitor.track_tp_end_offset(tp, self.highwater(tp))
                    yield tp, [to_message(tp, record) for record in tp_records]
                else:
                    self._drop_records({tp: tp_records})
        finally:
            if untaken:
                log.info(
                    "delivery abandoned: %d fetched partitions not handed over, to fetch again",
                    len(untaken),
                )
                self._drop_records(untaken)

    def _drop_records(self, records: Any) -> None:
        """Fetched records that are not delivered: to be fetched again."""
        acks_enabled_for = self.app.topics.acks_enabled_for
        for tp, tp_records in records.items():
            if tp_records and acks_enabled_for(tp.topic):
                self.guard.dropped(tp, min(record.offset for record in tp_records))

    async def _deliver(self, fetched: AsyncGenerator[tuple[TP, list[Message]], None]) -> None:
        """Deliver one fetch: bulk topics as lists, the rest message by message.

        Abandoned part way (the flow stops for a rebalance, which cancels this),
        what was not handed over yet is noted as dropped, to be fetched again
        before its partition commits past it. Unnoted, a later delivery of
        the partition starts past it, Faust notes the skipped offsets as a
        gap, and counts them done: they would be committed unprocessed.
        """
        callback = self.callback
        read_offsets = self.read_offsets
        acks_enabled_for = self.app.topics.acks_enabled_for
        bulk_topics, handler = self.bulk.topics, self.bulk.handler
        guard = self.guard
        bulk: list[Message] = []
        # The partition under way. Its messages past its read offset are neither
        # handed over nor in `bulk`: the offset moves only once they are.
        current: list[Message] = []
        try:
            async for tp, messages in fetched:
                current = messages
                gaps_count = acks_enabled_for(tp.topic)
                in_bulk = handler is not None and tp.topic in bulk_topics
                if self.commit_every is not None and self.n_acked >= self.commit_every:
                    self.n_acked = 0
                    await self.commit()
                read = read_offsets[tp]
                if gaps_count:
                    first = next(
                        (m.offset for m in messages if read is None or m.offset >= read), None
                    )
                    # `read` is the last offset delivered, unless the partition
                    # was just positioned, which the guard knows.
                    if first is not None and not guard.delivered(tp, first, read):
                        log.info(
                            "%s[%d]: delivery starts at %d, past where it was positioned "
                            "or the last delivery ended; fetching it again from %d",
                            tp.topic,
                            tp.partition,
                            first,
                            guard.refetch[tp],
                        )
                        continue  # nothing of it delivered: the fetch loop seeks back first
                since_yield = 0
                for message in messages:
                    offset = message.offset
                    if read is not None and offset < read:
                        continue  # already delivered before a seek back
                    # Not `if read`: after offset 0, a gap is a gap too.
                    if read is not None and offset - read > 1 and gaps_count:
                        await self.add_gap(tp, read + 1, offset)
                    if in_bulk:
                        bulk.append(message)
                        if len(bulk) >= BULK_SLICE:
                            read_offsets[tp] = offset
                            await handler(bulk)  # type: ignore[misc]
                            bulk = []
                    else:
                        await callback(message)
                        since_yield += 1
                        if since_yield > YIELD_EVERY:
                            await asyncio.sleep(0)
                            since_yield = 0
                    read = read_offsets[tp] = offset
                current = []
                await asyncio.sleep(0)
            if bulk and handler is not None:
                await handler(bulk)
                bulk = []
        except BaseException:
            undelivered = bulk
            if current:
                reached = read_offsets[current[0].tp]
                undelivered += [m for m in current if reached is None or m.offset > reached]
            if undelivered:
                log.info(
                    "delivery abandoned: %d fetched messages not handed over, to fetch again",
                    len(undelivered),
                )
            self.fetch_again(undelivered)
            raise
        finally:
            # Closing the fetch notes its partitions not handed on yet as dropped.
            await fetched.aclose()
