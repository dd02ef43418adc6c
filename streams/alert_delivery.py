"""Delivers `health.alerts` to the routed sinks from an agent of its own.

Delivery can wait minutes on retries; consuming the topic here, not in the
scoring agent, means slow receivers never stall scoring. Offsets move on only
after an alert is delivered or finally failed (and recorded), and sinks that
already delivered an event are skipped, so a restart notifies nobody twice.
"""

from __future__ import annotations

import logging
from functools import partial

import faust
import httpx

from models.alert_event import AlertEvent
from models.routing import Routes
from sinks.alert_history import PostgresRecorder
from sinks.delivery import DeliveryRecorder, InMemoryRecorder
from sinks.dispatch import AlertDispatcher, SinkSettings, build_sinks
from streams.pipeline import Pipeline
from streams.settings import Settings
from streams.storage import Database, retry_while_postgres_is_down

log = logging.getLogger(__name__)


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


async def _recorder(database: Database) -> DeliveryRecorder:
    if not database.configured:
        return InMemoryRecorder()
    return PostgresRecorder(await database.wait_for_pool())


def attach_alert_delivery(
    app: faust.App, pipeline: Pipeline, database: Database, routes: Routes
) -> None:
    settings = pipeline.settings
    client = httpx.AsyncClient(timeout=httpx.Timeout(10.0))
    sinks = build_sinks(client, sink_settings(settings))
    log.info("alert sinks: %s", ", ".join(sorted(sinks)) or "none configured")

    @app.agent(pipeline.alerts_topic, name="deliver-alerts")
    async def deliver_alerts(stream: faust.StreamT[bytes]) -> None:
        dispatcher = AlertDispatcher(
            routes, sinks, await _recorder(database), counter=pipeline.metrics.alert_deliveries
        )
        async for value in stream:
            alert = AlertEvent.model_validate_json(value)
            # A recorder (PostgreSQL) failure retries the whole delivery; sinks
            # that already delivered this event are skipped.
            await retry_while_postgres_is_down(
                partial(dispatcher.dispatch, alert), f"recording alert {alert.event_id}"
            )
