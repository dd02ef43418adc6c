"""The Faust application, configured from Settings."""

from __future__ import annotations

from typing import Any

import faust
from faust.types import ConsumerT

from streams.engine.bulk_consumer import BulkDelivery, BulkDeliveryConsumer
from streams.engine.faust_internals import AppInternals
from streams.kafka_client import protect_logs, ssl_context
from streams.settings import Settings

# How often offsets are committed, and so how often rows are written. Faust's
# default is 2.8 s; an account active every second is rewritten half as often
# at 5 s, and a crash re-reads at most 5 s of input (idempotently).
COMMIT_INTERVAL_SECONDS = 5.0


def _credentials(settings: Settings) -> object | None:
    protocol = settings.kafka_security_protocol
    if protocol.startswith("SASL"):
        password = settings.kafka_sasl_password
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=password.get_secret_value() if password else None,
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=ssl_context(settings),
        )
    if protocol == "SSL":
        return faust.SSLCredentials(ssl_context(settings))
    return None


class HealthscoreApp(AppInternals):
    """A Faust app whose consumer can hand topics to one handler a fetch at a time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.bulk_delivery = BulkDelivery()
        super().__init__(*args, **kwargs)

    def new_consumer(self) -> ConsumerT:
        return BulkDeliveryConsumer(
            self.transport,
            bulk=self.bulk_delivery,
            callback=self.topics.on_message,
            on_partitions_revoked=self.partitions_revoked_callback,
            on_partitions_assigned=self.partitions_assigned_callback,
            beacon=self.beacon,
            loop=self.transport.loop,
        )


def create_app(settings: Settings) -> HealthscoreApp:
    """A Faust app for this service; agents are attached by streams.topology.pipeline."""
    protect_logs(settings)
    store = "rocksdb://" if settings.store == "rocksdb" else "memory://"
    return HealthscoreApp(
        settings.app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        broker_credentials=_credentials(settings),
        store=store,
        datadir=str(settings.data_dir),
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        topic_allow_declare=True,
        table_standby_replicas=settings.standby_replicas,
        # At-least-once with idempotent effects: Faust's exactly_once crashed workers
        # and lost alerts in our kill -9 test (docs/guarantees.md, "Why not Faust's exactly-once").
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        web_enabled=True,
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_bind=settings.web_host,
        web_in_thread=False,
        # Faust's built-in /table and /router pages would serve account state
        # to anyone, past HS_API_TOKEN; the service's own views replace them.
        web_tables_enabled=False,
        web_router_enabled=False,
        table_cleanup_interval=3600.0,
        producer_linger_ms=5,
        # Each processed batch hands the producer one record batch per topic
        # partition (streams.engine.record_batches): room for a few hundred rows each,
        # below the broker's default 1 MiB limit on a record batch.
        producer_max_batch_size=900 * 1024,
        stream_buffer_maxsize=16384,
        broker_max_poll_records=2000,
        # The consumer's max_partition_fetch_bytes: above the topics' 10 MiB
        # max.message.bytes (streams.topics), so a full batch envelope is one fetch.
        consumer_max_fetch_size=16 * 1024 * 1024,
        producer_max_request_size=10 * 1024 * 1024,
        autodiscover=False,
        # A worker killed without leaving the group holds its partitions until
        # its session times out: keep that short so a restart recovers quickly.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=2.0,
        # Rows are written before each commit (streams.topology.pipeline), so commits
        # follow the clock only: at Faust's default of one per 10,000 messages
        # a busy worker would rewrite every row it touched after each batch.
        broker_commit_interval=COMMIT_INTERVAL_SECONDS,
        broker_commit_every=1 << 40,
        # One agent instance per partition would commit past in-flight events.
        agent_supervisor="mode.OneForOneSupervisor",
    )
