"""`healthscore worker`: one stream-processing worker."""

from __future__ import annotations

import asyncio
import logging
import time

import faust
from aiokafka.errors import KafkaError

from models.alerting.routing import load_routes
from models.model_config import load_model
from sinks.metrics import create_metrics
from streams.api.readers import HealthReader
from streams.api.web import attach_views
from streams.app import create_app
from streams.engine.faust_metrics import attach_faust_metrics
from streams.garbage import collect_garbage_less_often
from streams.settings import Settings, check_worker_settings
from streams.topics import ensure_topics
from streams.topology.alert_delivery import attach_alert_delivery
from streams.topology.pipeline import build_pipeline
from streams.topology.population_reader import attach_population_reader
from streams.topology.storage import Database, attach_storage

log = logging.getLogger(__name__)


def wait_for_topics(settings: Settings, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            asyncio.run(ensure_topics(settings))
            return
        except (KafkaError, OSError) as exc:
            if time.monotonic() > deadline:
                raise
            log.warning(
                "Kafka at %s not reachable yet (%s); retrying",
                settings.kafka_bootstrap,
                type(exc).__name__,
            )
            time.sleep(2)


def build_worker_app(settings: Settings) -> faust.App:
    model = load_model(str(settings.model) if settings.model else None)
    # Faust creates only the last level of its data directory.
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    metrics = create_metrics()
    app = create_app(settings)
    pipeline = build_pipeline(app, settings, model, metrics)
    dsn = settings.pg_dsn.get_secret_value() if settings.pg_dsn else None
    database = Database(dsn)
    if database.configured:
        attach_storage(app, pipeline, database)
    routes = load_routes(str(settings.routes) if settings.routes else None)
    attach_alert_delivery(app, pipeline, database, routes)
    attach_views(
        app,
        pipeline,
        HealthReader(
            pipeline.table,
            database.pool_if_ready,
            lambda: pipeline.processor.unwritten,
            rechurn_within_days=model.lifecycle.rechurn_within_days,
        ),
    )
    if pipeline.processor.population is not None:  # the model ranks factors
        attach_population_reader(app, settings, pipeline.population)
    attach_faust_metrics(app, metrics.registry)
    return app


def run_worker(settings: Settings) -> None:
    check_worker_settings(settings)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    log.info("starting worker with settings %s", settings.redacted())
    if settings.api_open_beyond_loopback():
        log.warning(
            "the HTTP API listens on %s without HS_API_TOKEN: anyone who reaches port %d "
            "reads every account; set HS_API_TOKEN",
            settings.web_host,
            settings.web_port,
        )
    wait_for_topics(settings)
    app = build_worker_app(settings)
    collect_garbage_less_often()
    worker = faust.Worker(app, loglevel=settings.log_level, override_logging=False)
    worker.execute_from_commandline()
