"""Faust wiring: topics, the state table, the agents and the re-evaluation timer.

Thin on purpose: what happens to a message is in streams.processor; this module
only connects it to Kafka.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import faust
import orjson
from aiokafka.partitioner import murmur2

from models.alert_event import AlertEvent
from models.health import Band, Health
from models.model_config import HealthModel
from models.validation import Rejection
from sinks.metrics import Metrics
from streams.processor import AccountProcessor, RawMessage
from streams.settings import Settings
from streams.topics import ALERTS, DLQ, INPUT_TOPICS, SCORES, TICKS

log = logging.getLogger(__name__)

TICK_CHUNK = 500


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
    dlq_topic: Any
    ticks_topic: Any
    processing: asyncio.Event = field(default_factory=asyncio.Event)


class KafkaOutputs:
    """Publishes what the processor decides, to the contract's output topics."""

    def __init__(self, settings: Settings, scores: Any, alerts: Any, dlq: Any) -> None:
        self.settings = settings
        self.scores = scores
        self.alerts = alerts
        self.dlq = dlq

    async def score(self, health: Health) -> None:
        await self.scores.send(
            key=health.account_id.encode(), value=health.model_dump_json().encode()
        )

    async def alert(self, alert: AlertEvent) -> None:
        await self.alerts.send(
            key=alert.account_id.encode(), value=alert.model_dump_json().encode()
        )

    async def reject(self, message: RawMessage, rejection: Rejection) -> None:
        headers = [
            *message.headers,
            ("hs.error.reason", rejection.reason.value.encode()),
            ("hs.error.detail", rejection.detail.encode()),
            ("hs.source.topic", message.full_topic.encode()),
            ("hs.source.partition", str(message.partition).encode()),
            ("hs.source.offset", str(message.offset).encode()),
        ]
        if rejection.batch_index is not None:
            headers.append(("hs.batch.index", str(rejection.batch_index).encode()))
        await self.dlq.send(key=message.key, value=rejection.value, headers=headers)


class Census:
    """Accounts per band and segment, and ARR per band, of this worker's partitions."""

    def __init__(self) -> None:
        self.accounts: Counter[tuple[str, str]] = Counter()
        self.arr: dict[str, float] = dict.fromkeys((b.value for b in Band), 0.0)

    def count(self, health: dict[str, Any] | None) -> None:
        if not health:
            return
        self.accounts[(health["band"], health.get("segment") or "unknown")] += 1
        self.arr[health["band"]] += float(health.get("arr") or 0.0)

    def publish(self, metrics: Metrics) -> None:
        metrics.accounts.clear()
        for (band, segment), number in self.accounts.items():
            metrics.accounts.labels(band, segment).set(number)
        for band_name, arr in self.arr.items():
            metrics.arr.labels(band_name).set(arr)


def partition_of(account_id: str, partitions: int) -> int:
    """The partition Kafka's default (murmur2) partitioner gives this key."""
    return int(murmur2(account_id.encode()) & 0x7FFFFFFF) % partitions


def raw_topic(app: faust.App, *names: str) -> faust.TopicT:
    """Topics whose keys and values the code handles as bytes itself."""
    return app.topic(*names, key_serializer="raw", value_serializer="raw")


def build_pipeline(
    app: faust.App, settings: Settings, model: HealthModel, metrics: Metrics
) -> Pipeline:
    input_names = {settings.topic(name): name for name in INPUT_TOPICS}
    ticks_name = settings.topic(TICKS)
    inputs = raw_topic(app, *input_names, ticks_name)
    scores = raw_topic(app, settings.topic(SCORES))
    alerts = raw_topic(app, settings.topic(ALERTS))
    dlq = raw_topic(app, settings.topic(DLQ))
    ticks = raw_topic(app, ticks_name)
    table = app.Table(
        "account-state",
        default=None,
        partitions=settings.partitions,
        key_type=str,
    )
    outputs = KafkaOutputs(settings, scores, alerts, dlq)
    processor = AccountProcessor(model, table, outputs, metrics)
    pipeline = Pipeline(app, settings, model, metrics, table, processor, scores, alerts, dlq, ticks)

    @app.agent(inputs, name="score-accounts")
    async def score_accounts(stream: faust.StreamT[bytes]) -> None:
        pipeline.processing.set()
        async for event in stream.events():
            message = event.message
            if message.topic == ticks_name:
                ids = orjson.loads(message.value) if message.value else []
                await processor.rescore([str(i) for i in ids])
                continue
            await processor.on_message_safely(
                RawMessage(
                    topic=input_names[message.topic],
                    full_topic=message.topic,
                    partition=message.partition,
                    offset=message.offset,
                    key=message.key,
                    value=message.value,
                    headers=list(message.headers or []),
                )
            )

    @app.timer(settings.rescore_interval_seconds, name="schedule-rescore")  # type: ignore[untyped-decorator]
    async def schedule_rescore() -> None:
        await request_rescores(pipeline)

    return pipeline


async def request_rescores(pipeline: Pipeline) -> int:
    """Ask this worker's own partitions to re-evaluate accounts whose health would change.

    Runs in slices so the event loop stays responsive; sends the requests as
    tick messages, because table writes are only allowed while processing an
    event of the same partition.
    """
    app, settings = pipeline.app, pipeline.settings
    owned = {tp.partition for tp in app.consumer.assignment() if tp.topic == settings.topic(TICKS)}
    if not owned:
        return 0
    now = pipeline.processor.clock()
    due: dict[int, list[str]] = defaultdict(list)
    census = Census()
    checked = 0
    for account_id, raw in list(pipeline.table.items()):
        partition = partition_of(account_id, settings.partitions)
        if partition not in owned or not raw:
            continue
        census.count(raw.get("health"))
        if pipeline.processor.needs_rescore(raw, account_id, now):
            due[partition].append(account_id)
        checked += 1
        if checked % 200 == 0:
            await asyncio.sleep(0)
    census.publish(pipeline.metrics)
    requested = 0
    for partition, ids in due.items():
        for start in range(0, len(ids), TICK_CHUNK):
            chunk = ids[start : start + TICK_CHUNK]
            await pipeline.ticks_topic.send(value=orjson.dumps(chunk), partition=partition)
            requested += len(chunk)
    if requested:
        log.info("requested re-evaluation of %d of %d accounts", requested, checked)
    return requested
