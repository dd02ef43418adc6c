"""Faust wiring: topics, the state table, the scoring agent and the re-evaluation timer.

Thin on purpose: what happens to messages is in streams.topology.processor; this module
only connects it to Kafka.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import faust
from faust.types import TP, EventT, Message

from models.model_config import HealthModel
from models.population import Population
from sinks.metrics import Metrics
from streams.app import HealthscoreApp
from streams.engine.acks import Inbox, PendingSends
from streams.engine.faust_internals import (
    aiokafka_producer,
    channel_queue,
    current_event_as,
    encode_key,
    encode_value,
)
from streams.engine.fetch_watch import FetchWatch
from streams.engine.gathering import Gathering
from streams.engine.progress_watch import ProgressWatch
from streams.engine.record_batches import RecordBatches, SentBatch, last_offset
from streams.settings import Settings
from streams.topics import (
    ALERTS,
    DLQ,
    INPUT_TOPICS,
    POPULATION,
    REPARTITION,
    SCORES,
    TICKS,
    TOPIC_MAX_MESSAGE_BYTES,
)
from streams.topology.census import Census
from streams.topology.dead_letters import header_pairs
from streams.topology.kafka_outputs import KafkaOutputs
from streams.topology.population_share import PopulationShare
from streams.topology.processor import AccountProcessor, RawMessage
from streams.topology.repartition import Repartition, origin_of
from streams.topology.rescore import RESCORE_PER_INTERVAL, RESCORE_STEPS, request_rescores

log = logging.getLogger(__name__)

BATCH_MAX = 20_000
# Bytes of message values per batch, whatever the count: 20,000 batch envelopes
# hold up to 2,000,000 events, ~12 s of work that a rebalance would wait for.
BATCH_MAX_BYTES = 32 * 1024 * 1024
# The longest a batch waits for more fetches (see streams.engine.gathering).
BATCH_SECONDS = 0.5
# How often a batch still gathering looks for a fetch that has come.
GATHER_POLL_SECONDS = 0.02
# Rows written per turn of the lock before a commit (~20 ms of work).
ROWS_PER_TURN = 250
# Fetches waiting for the agent; beyond that the consumer's fetch loop waits.
FETCHES_QUEUED = 8
FETCH_WATCH_SECONDS = 15.0
# Kafka compacts only closed segments, and the default segment is 1 GiB: a new
# worker would replay every write since the topic began. Small segments keep
# the changelog near one row per account, so replay time follows the number
# of accounts rather than the history of writes.
# A row of a busy account can outgrow the broker's default 1 MiB message limit.
CHANGELOG_CONFIG = {
    "segment.bytes": 32 * 1024 * 1024,
    "min.cleanable.dirty.ratio": 0.3,
    "max.message.bytes": TOPIC_MAX_MESSAGE_BYTES,
}


class FaustStateTable:
    """The processor's view of the Faust table.

    Rows go into the table's store as Faust would put them, and their
    changelog records into record batches of their own instead of one send
    each, sent when a commit writes the rows; `persist` then records each
    changelog partition's last offset in the store once the broker has it,
    which is where a restarted worker's recovery starts reading.
    """

    def __init__(self, table: Any, batches: RecordBatches) -> None:
        self.table = table
        self.store = table.data
        self.batches = batches
        self.changelog = table.changelog_topic.get_topic_name()
        # An input event per partition, kept from the latest batch that had one:
        # rows are written after their batches, when `write_rows` runs.
        self.events: dict[int, EventT[Any]] = {}

    def get(self, account_id: str) -> bytes | None:
        # Faust's RocksDB store reads only the current event's partition when
        # there is one; inside a stream iteration that is the stream's own event
        # (no partition of this table), so without an event it searches them all.
        with current_event_as(None):
            value: bytes | None = self.table.get(account_id)
        return value

    def put(self, account_id: str, partition: int, value: bytes) -> None:
        # The store writes to the database of the current event's partition.
        with current_event_as(self.events[partition]):
            self.store[account_id] = value
        store = self.store
        self.batches.append(
            self.changelog, partition, encode_key(store, account_id), encode_value(store, value)
        )

    def persist(self, batch: SentBatch, done: asyncio.Future[Any]) -> None:
        if batch.topic == self.changelog and not done.cancelled() and done.exception() is None:
            self.store.set_persisted_offset(
                TP(batch.topic, batch.partition), last_offset(batch, done)
            )


@dataclass
class Pipeline:
    """Everything a worker's agents, timers and views share."""

    app: faust.App
    settings: Settings
    model: HealthModel
    metrics: Metrics
    table: Any
    processor: AccountProcessor
    scores_topic: Any
    alerts_topic: Any
    ticks_topic: Any
    census: Census
    population: PopulationShare
    # Why the worker is not keeping up with its input, for /readyz.
    progress: ProgressWatch
    processing: asyncio.Event = field(default_factory=asyncio.Event)
    rescore_queue: list[str] = field(default_factory=list)
    # Held while a batch is processed and while rows are written, so rows are
    # never written halfway through a batch.
    busy: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Set when the broker refused a batch's outputs (see `output_lost`).
    failed: Exception | None = None
    stopping: asyncio.Future[None] | None = None


class OutputLost(RuntimeError):
    """The broker refused records a batch published: no row or offset may follow."""


def output_lost(pipeline: Pipeline, exc: Exception) -> None:
    """A batch's health or alerts never reached the broker, yet its accounts' entries
    say they were published. Stop the worker before any row holding them is written
    or any offset committed: a restarted worker reads the batch again and
    publishes it anew."""
    log.critical("the broker refused a batch's outputs (%r): stopping the worker", exc)
    pipeline.failed = exc
    pipeline.stopping = asyncio.ensure_future(pipeline.app.crash(exc))


def events_by_partition(app: faust.App, messages: list[Message]) -> dict[int, EventT[Any]]:
    """One Faust event per partition of the batch, for the table writes to that partition."""
    events: dict[int, EventT[Any]] = {}
    for message in messages:
        if message.partition not in events:
            events[message.partition] = app.create_event(
                message.key, message.value, message.headers, message
            )
    return events


def known_highwater(app: faust.App, tp: TP) -> int | None:
    """The partition's high watermark from the consumer's latest fetch; None if
    there is none yet or the partition is no longer assigned."""
    try:
        highwater: int | None = app.consumer.highwater(tp)
    except (AssertionError, KeyError):  # aiokafka asserts that tp is assigned
        return None
    return highwater


def raw_topic(app: faust.App, *names: str) -> faust.TopicT:
    """Topics whose keys and values the code handles as bytes itself."""
    return app.topic(*names, key_serializer="raw", value_serializer="raw")


def build_pipeline(
    app: HealthscoreApp, settings: Settings, model: HealthModel, metrics: Metrics
) -> Pipeline:
    event_topics = {settings.topic(name): name for name in INPUT_TOPICS}
    input_names = dict(event_topics)
    ticks_name = settings.topic(TICKS)
    input_names[ticks_name] = TICKS
    input_names[settings.topic(REPARTITION)] = REPARTITION
    inputs = raw_topic(app, *input_names)
    scores = raw_topic(app, settings.topic(SCORES))
    alerts = raw_topic(app, settings.topic(ALERTS))
    ticks = raw_topic(app, ticks_name)
    table = app.Table(
        "account-state",
        default=None,
        partitions=settings.partitions,
        key_type=str,
        # Rows are JSON serialised by pydantic-core already: Faust stores bytes as they are.
        value_type=bytes,
        extra_topic_configs=CHANGELOG_CONFIG,
    )
    inbox = Inbox(app)
    pending = PendingSends(inbox.ack, on_failure=lambda exc: output_lost(pipeline, exc))
    batches = RecordBatches(aiokafka_producer(app.producer))
    # Rows' changelog records apart from the outputs: a commit sends them
    # without holding up the agent, and waits for exactly those.
    changelog_batches = RecordBatches(aiokafka_producer(app.producer))
    state_table = FaustStateTable(table, changelog_batches)
    # Copies of misrouted messages are outputs of their batch: its acks wait for them.
    repartition = Repartition(
        batches, settings.topic(REPARTITION), settings.partitions, event_topics, metrics
    )
    census = Census()
    # Population records apart from the outputs: their sends are advisory, and
    # none of them holds up a batch's offsets (streams.topology.population_share).
    population = PopulationShare(
        Population(),
        metrics,
        RecordBatches(batches.producer),
        settings.topic(POPULATION) if settings.population_sharing else None,
    )
    processor = AccountProcessor(
        model,
        state_table,
        KafkaOutputs(batches, {name: settings.topic(name) for name in (SCORES, ALERTS, DLQ)}),
        metrics,
        on_health=census.record,
        population=population,
        strict_fields=settings.strict_fields,
    )
    fetch_watch = FetchWatch(app, input_names, partial(known_highwater, app))
    progress = ProgressWatch(
        app, input_names, partial(known_highwater, app), fetch_watch, settings.ready_stall_seconds
    )
    pipeline = Pipeline(
        app,
        settings,
        model,
        metrics,
        table,
        processor,
        scores,
        alerts,
        ticks,
        census,
        population,
        progress,
    )

    gathering = Gathering(
        BATCH_SECONDS, BATCH_MAX, partial(known_highwater, app), byte_limit=BATCH_MAX_BYTES
    )
    # Lists of fetched input messages, straight from the consumer's fetch loop.
    fetched: Any = app.channel(maxsize=FETCHES_QUEUED)
    app.topics.add(inputs)

    async def hand_over(messages: list[Message]) -> None:
        progress.delivered(messages)
        await fetched.send(value=messages)

    async def send_changelog() -> list[SentBatch]:
        """Hand the rows' changelog records to the producer; each batch, once the
        broker has it, moves its partition's persisted offset."""
        sends = await changelog_batches.send()
        for sent in sends:
            sent.sent.add_done_callback(partial(state_table.persist, sent))  # type: ignore[attr-defined]
        return sends

    async def write_rows() -> None:
        """Write the rows of the accounts evaluated so far, and wait until the
        broker has their changelog records: the consumer does this before it
        commits offsets.

        The rows go ROWS_PER_TURN at a time, and the agent may process a batch
        between two turns, or while the records go out, rather than wait for
        them all; an account it changes meanwhile is written with its newer
        state, or again at the next commit.
        """
        if pipeline.failed is not None:
            raise OutputLost("rows are not written after lost outputs") from pipeline.failed
        accounts = list(processor.unwritten)
        sends: list[SentBatch] = []
        for start in range(0, len(accounts), ROWS_PER_TURN):
            async with pipeline.busy:
                processor.write_rows(accounts[start : start + ROWS_PER_TURN])
            # Outside the lock: the producer takes a partition's next batch only
            # once the one before it has gone out to the broker.
            sends += await send_changelog()
        await asyncio.gather(*(sent.sent for sent in sends))

    app.bulk_delivery.register(set(input_names), hand_over, before_commit=write_rows)

    @app.timer(FETCH_WATCH_SECONDS, name="watch-fetches")  # type: ignore[untyped-decorator]
    async def watch_fetches() -> None:
        fetch_watch.check()

    async def process_batch(messages: list[Message]) -> None:
        delivered = messages
        messages = inbox.admit(messages)
        if not messages:
            progress.processed(delivered)
            return
        async with pipeline.busy:
            home = repartition.keep_home(messages)
            state_table.events.update(events_by_partition(app, home))
            await processor.process([raw_message(message) for message in home])
            for sent in await batches.send():
                pending.add(sent.sent)
            await population.send()
        progress.processed(delivered)
        await pending.release_when_settled(messages)

    def raw_message(message: Message) -> RawMessage:
        headers = header_pairs(message.headers)
        topic = input_names[message.topic]
        return RawMessage(
            topic=origin_of(headers) if topic == REPARTITION else topic,
            full_topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            key=message.key,
            value=message.value,
            headers=headers,
        )

    @app.agent(fetched, name="score-accounts")
    async def score_accounts(stream: faust.StreamT[list[Message]]) -> None:
        pipeline.processing.set()
        queued = channel_queue(stream)
        async for fetch in stream:
            gathering.add(fetch)
            while gathering.pending:
                # Take each fetch in as it comes, so a backlog never waits out the window.
                while queued.empty():
                    if gathering.ready():
                        break
                    # Polled: a put on the channel sets no event to wait on.
                    await asyncio.sleep(GATHER_POLL_SECONDS)
                if not gathering.full and not queued.empty():
                    break  # more has arrived: gather it first
                await process_batch(gathering.take())  # type: ignore[arg-type]

    @app.on_partitions_revoked.connect  # type: ignore[arg-type]
    async def forget_decoded_rows(
        sender: Any, *args: Any, signal: Any = None, **kwargs: Any
    ) -> None:
        await write_rows()
        processor.forget()
        progress.forget()
        gathering.forget_offsets()
        await asyncio.gather(*(sent.sent for sent in await send_changelog()))
        state_table.events = {}
        pipeline.rescore_queue.clear()

    @app.timer(settings.rescore_interval_seconds / RESCORE_STEPS, name="schedule-rescore")  # type: ignore[untyped-decorator]
    async def schedule_rescore() -> None:
        await request_rescores(pipeline, RESCORE_PER_INTERVAL // RESCORE_STEPS)

    return pipeline
