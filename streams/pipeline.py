"""Faust wiring: topics, the state table, the agents and the re-evaluation timer.

Thin on purpose: what happens to a message is in streams.processor; this module
only connects it to Kafka.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import faust
import orjson
from aiokafka.partitioner import murmur2

from models.alert_event import AlertEvent
from models.health import Health
from models.model_config import HealthModel
from models.validation import Rejection
from sinks.metrics import Metrics
from streams.processor import AccountProcessor, RawMessage
from streams.settings import Settings
from streams.topics import ALERTS, DLQ, INPUT_TOPICS, SCORES, TICKS

log = logging.getLogger(__name__)

TICK_CHUNK = 500
RAW = {"key_serializer": "raw", "value_serializer": "raw"}


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


def partition_of(account_id: str, partitions: int) -> int:
    """The partition Kafka's default (murmur2) partitioner gives this key."""
    return (murmur2(account_id.encode()) & 0x7FFFFFFF) % partitions


def build_pipeline(
    app: faust.App, settings: Settings, model: HealthModel, metrics: Metrics
) -> Pipeline:
    input_names = {settings.topic(name): name for name in INPUT_TOPICS}
    ticks_name = settings.topic(TICKS)
    inputs = app.topic(*input_names, ticks_name, **RAW)
    scores = app.topic(settings.topic(SCORES), **RAW)
    alerts = app.topic(settings.topic(ALERTS), **RAW)
    dlq = app.topic(settings.topic(DLQ), **RAW)
    ticks = app.topic(ticks_name, **RAW)
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

    @app.timer(settings.rescore_interval_seconds, name="schedule-rescore")
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
    checked = 0
    for account_id, raw in list(pipeline.table.items()):
        partition = partition_of(account_id, settings.partitions)
        if partition in owned and raw and pipeline.processor.needs_rescore(raw, account_id, now):
            due[partition].append(account_id)
        checked += 1
        if checked % 200 == 0:
            await asyncio.sleep(0)
    requested = 0
    for partition, ids in due.items():
        for start in range(0, len(ids), TICK_CHUNK):
            chunk = ids[start : start + TICK_CHUNK]
            await pipeline.ticks_topic.send(value=orjson.dumps(chunk), partition=partition)
            requested += len(chunk)
    if requested:
        log.info("requested re-evaluation of %d of %d accounts", requested, checked)
    return requested
