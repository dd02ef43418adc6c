"""Delivers `health.alerts` to the routed sinks from an agent of its own.

Delivery can wait minutes on retries; consuming the topic here, not in the
scoring agent, means slow receivers never stall scoring. Each sink delivers
from lanes of its own (`sinks.lanes`), so a sink waiting out a `Retry-After`
holds up no other sink, and an account's alerts reach each sink in order.

Offsets move on only after every routed sink delivered or finally failed an
alert (recorded): the agent acks by hand, in offset order per partition
(`streams.engine.alert_acks`). Sinks that already delivered an event are skipped,
so a restart notifies nobody twice.

A record the agent cannot use goes to `health.dlq` byte for byte, reason
`unusable_output`: a value that is not an alert event, or an alert whose
recording PostgreSQL refuses as data. Transient PostgreSQL errors are
retried (`sinks.postgres_faults`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import faust
import httpx
from faust.types import EventT
from pydantic import ValidationError

from models.alerting.event import AlertEvent
from models.alerting.routing import Routes
from models.validation import Rejection, RejectReason
from sinks.alert_history import PostgresRecorder
from sinks.delivery import DeliveryAttempt, DeliveryRecorder, SinkDelivery
from sinks.dispatch import SinkSettings, build_sinks
from sinks.lanes import DeliveryJob, SinkLanes
from sinks.postgres_faults import is_transient, retry_delays
from streams.engine.alert_acks import AcksInOrder, InFlight
from streams.settings import Settings, check_worker_settings
from streams.topics import ALERTS, DLQ
from streams.topology.dead_letter_sender import DeadLetterSender
from streams.topology.pipeline import Pipeline, raw_topic
from streams.topology.storage import Database

log = logging.getLogger(__name__)

# Alerts queued per lane of a sink; with HS_SINK_CONCURRENCY lanes that is how
# many a blocked sink may fall behind before the agent stops reading.
LANE_QUEUE_SIZE = 256
# How often the agent looks whether Faust suspended the flow (rebalance, stop).
FLOW_CHECK_SECONDS = 0.25
DETAIL_ERRORS = 3


def sink_settings(settings: Settings) -> SinkSettings:
    return SinkSettings(
        slack_webhook_url=settings.slack_webhook_url,
        pagerduty_routing_key=settings.pagerduty_routing_key,
        pagerduty_url=settings.pagerduty_url,
        alertmanager_url=settings.alertmanager_url,
        webhook_url=settings.webhook_url,
        webhook_secret=settings.webhook_secret,
        account_url_base=settings.public_url,
    )


class NoHistory:
    """The recorder of a worker without PostgreSQL, which has no sinks: keeps nothing."""

    async def record_alert(self, alert: AlertEvent) -> None:
        return None

    async def is_delivered(self, event_id: str, sink: str) -> bool:
        return False

    async def record_attempt(self, alert: AlertEvent, attempt: DeliveryAttempt) -> None:
        return None


def parse_alert(value: bytes | None) -> AlertEvent | str:
    """The alert event in `value`, or what is wrong with it."""
    if value is None:
        return "no value"
    try:
        return AlertEvent.model_validate_json(value)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        said = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'value'}: {error['msg']}"
            for error in errors[:DETAIL_ERRORS]
        )
        more = f" (and {len(errors) - DETAIL_ERRORS} more)" if len(errors) > DETAIL_ERRORS else ""
        return f"not an alert event: {said}{more}"


@dataclass(eq=False)
class _Routed:
    """A message whose alert went to sinks: how many are left, and what went wrong."""

    item: InFlight
    left: int
    problems: list[str] = field(default_factory=list)


class AlertIntake:
    """What the agent does with each message: check, record, route, queue; and finish it."""

    def __init__(
        self,
        routes: Routes,
        recorder: DeliveryRecorder,
        lanes: SinkLanes,
        acks: AcksInOrder,
        dead_letters: DeadLetterSender,
        *,
        is_transient: Callable[[BaseException], bool],
        on_transient: Callable[[], object] = lambda: None,
        retry_waits: Callable[[], Iterator[float]] = retry_delays,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._routes = routes
        self._recorder = recorder
        self._lanes = lanes
        self._acks = acks
        self._dead_letters = dead_letters
        self._is_transient = is_transient
        self._on_transient = on_transient
        self._retry_waits = retry_waits
        self._sleep = sleep

    async def take(self, event: EventT[Any]) -> None:
        """Handle one message as it is read; returns once its alert is queued for its sinks."""
        item = self._acks.track(event)
        try:
            await self._take(item)
        except Exception as exc:
            # A bug: keep the record to replay after a fix, and go on.
            log.exception("handling %s failed", _where(item))
            detail = f"unexpected {type(exc).__name__}"
            await self._set_aside(item, Rejection(RejectReason.PROCESSING_ERROR, detail, None))

    async def _take(self, item: InFlight) -> None:
        parsed = parse_alert(item.message.value)
        if isinstance(parsed, str):
            await self._set_aside(item, _unusable(parsed))
            return
        alert = parsed
        refused = await self._record(item, alert)
        if item.abandoned:
            return
        if refused is not None:
            await self._set_aside(item, _unusable(refused))
            return
        sinks = self._routes.sinks_for(alert, self._lanes.sink_names)
        if not sinks:
            await self._acks.finish(item)
            return
        routed = _Routed(item, len(sinks))
        for sink in sinks:
            if item.abandoned:
                return
            job = DeliveryJob(alert, partial(self._sink_done, routed), lambda: item.abandoned)
            await self._lanes.put(sink, job)

    async def _record(self, item: InFlight, alert: AlertEvent) -> str | None:
        """Record `alert`, retrying transient errors; what PostgreSQL refused, if it did."""
        waits = self._retry_waits()
        while not item.abandoned:
            try:
                await self._recorder.record_alert(alert)
                return None
            except Exception as exc:
                if not self._is_transient(exc):
                    log.error("alert %s: recording it failed for good: %r", alert.event_id, exc)
                    return f"recording the alert failed: {type(exc).__name__}: {exc}"
                self._on_transient()
                wait = next(waits)
                log.warning(
                    "alert %s: recording failed (%s); retrying in %.1f s",
                    alert.event_id,
                    type(exc).__name__,
                    wait,
                )
                await self._sleep(wait)
        return None

    async def _sink_done(self, routed: _Routed, sink: str, problem: str | None) -> None:
        if problem is not None:
            routed.problems.append(problem)
        routed.left -= 1
        if routed.left:
            return
        if routed.problems:
            await self._set_aside(routed.item, _unusable("; ".join(routed.problems)))
        else:
            await self._acks.finish(routed.item)

    async def _set_aside(self, item: InFlight, rejection: Rejection) -> None:
        """Dead-letter the message (the broker has it before this returns), then finish it."""
        if item.abandoned or item.finished:
            return
        await self._dead_letters.send(item.message, rejection)
        await self._acks.finish(item)


def _unusable(detail: str) -> Rejection:
    return Rejection(RejectReason.UNUSABLE_OUTPUT, detail, None)


def _where(item: InFlight) -> str:
    message = item.message
    return f"{message.topic}[{message.partition}]@{message.offset}"


async def abandon_when_flow_stops(
    app: faust.App, acks: AcksInOrder, lanes: SinkLanes, every: float = FLOW_CHECK_SECONDS
) -> None:
    """Give up the messages in flight whenever Faust suspends the flow (rebalance, stop).

    Faust waits for every unacked message before it lets its partitions go; a
    sink waiting out a long `Retry-After` would hold up the whole group. The
    messages given up are not acked, so they are read again (by whichever
    worker gets the partition) from the committed offset.
    """
    while True:
        await asyncio.sleep(every)
        if app.flow_control.is_active() or not acks.in_flight():
            continue
        items = acks.abandon()
        await lanes.abandon()
        acks.forget_all(items)
        log.info("flow suspended: %d alert messages in flight will be read again", len(items))


def attach_alert_delivery(
    app: faust.App, pipeline: Pipeline, database: Database, routes: Routes
) -> None:
    settings = pipeline.settings
    # Sinks need PostgreSQL: a worker without it has no delivery history (NoHistory).
    check_worker_settings(settings)
    client = httpx.AsyncClient(timeout=httpx.Timeout(10.0))
    sinks = build_sinks(client, sink_settings(settings))
    log.info("alert sinks: %s", ", ".join(sorted(sinks)) or "none configured")
    metrics = pipeline.metrics
    dead_letters = DeadLetterSender(
        raw_topic(app, settings.topic(DLQ)), metrics.dlq_messages, ALERTS
    )

    @app.agent(pipeline.alerts_topic, name="deliver-alerts")
    async def deliver_alerts(stream: faust.StreamT[bytes]) -> None:
        recorder: DeliveryRecorder = (
            PostgresRecorder(await database.wait_for_pool()) if database.configured else NoHistory()
        )
        manual: Any = stream.noack()  # type: ignore[attr-defined]
        acks = AcksInOrder(
            ack=manual.ack, forget=lambda message: app.consumer.unacked.discard(message)
        )
        delivery = SinkDelivery(recorder, counter=metrics.alert_deliveries)
        async with SinkLanes(
            sinks,
            delivery,
            is_transient=is_transient,
            concurrency=settings.sink_concurrency,
            queue_size=LANE_QUEUE_SIZE,
            on_transient=metrics.pg_write_failures.inc,
        ) as lanes:
            intake = AlertIntake(
                routes,
                recorder,
                lanes,
                acks,
                dead_letters,
                is_transient=is_transient,
                on_transient=metrics.pg_write_failures.inc,
            )
            watcher = asyncio.create_task(abandon_when_flow_stops(app, acks, lanes))
            try:
                async for event in manual.events():
                    await intake.take(event)
            finally:
                watcher.cancel()
                # Stopping: what is still in flight is read again at the next start.
                acks.forget_all(acks.abandon())
