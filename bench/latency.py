"""End-to-end latency at a fixed offered load: produce → health.scores and → health.alerts.

Probe accounts receive one stale login each (no login for 60 days): their first
score is published and, with a model whose alerts fire at once, a band_entered
alert follows. Background accounts carry the offered load meanwhile.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.workload import single_messages
from streams.engine.record_batches import RecordBatches


def percentiles(samples: list[float]) -> dict[str, float]:
    if len(samples) < 2:
        return {
            "p50": samples[0] if samples else 0.0,
            "p95": 0.0,
            "p99": 0.0,
            "count": len(samples),
        }
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "count": len(samples)}


async def _collect(
    consumer: AIOKafkaConsumer, arrivals: dict[bytes, float], stop: asyncio.Event
) -> None:
    while not stop.is_set():
        batches = await consumer.getmany(timeout_ms=100)
        now = time.perf_counter()
        for records in batches.values():
            for record in records:
                if record.key is not None and record.key.startswith(b"probe-"):
                    arrivals.setdefault(record.key, now)


async def measure_latency(
    bootstrap: str,
    prefix: str,
    rate: float,
    seconds: float,
    accounts: int,
    worker_cpu: Callable[[], float] | None = None,
) -> dict[str, dict[str, float]]:
    """Offer `rate` events/s for `seconds`, with a probe every 100 ms; latency percentiles.

    With `worker_cpu` (the worker's CPU seconds so far), also how busy the
    worker was while the load was offered: its CPU seconds per second.
    """
    consumers = {}
    arrivals: dict[str, dict[bytes, float]] = {"scores": {}, "alerts": {}}
    for name in arrivals:
        topic = f"{prefix}health.{name}"
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=None,
            auto_offset_reset="latest",
            enable_auto_commit=False,
        )
        await consumer.start()
        await consumer.seek_to_end()
        consumers[name] = consumer
    stop = asyncio.Event()
    collectors = [asyncio.create_task(_collect(c, arrivals[n], stop)) for n, c in consumers.items()]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=2, max_batch_size=1 << 20)
    await producer.start()
    # A tick's records go out as one record batch per partition: a send per
    # record would take a fifth of a core from the worker being measured.
    batches = RecordBatches(lambda: producer)
    sent: dict[bytes, float] = {}
    # Made before the clock starts, so that the load generator's own work does
    # not compete with the worker during the measurement.
    background = iter(list(single_messages(int(rate * seconds) + 1, accounts, seed=97)))
    stale = (datetime.now(UTC) - timedelta(days=60)).isoformat()
    cpu_before = worker_cpu() if worker_cpu is not None else 0.0
    busy = 0.0
    try:
        started = time.perf_counter()
        tick = 0
        while time.perf_counter() - started < seconds:
            tick += 1
            for _ in range(max(1, int(rate / 10))):
                topic, key, value = next(background)
                topic = prefix + topic
                batches.append(topic, await batches.partition_for(topic, key), key, value)
            probe = f"probe-{tick}".encode()
            event = {
                "event_id": f"probe-{tick}",
                "account_id": probe.decode(),
                "occurred_at": stale,
                "user_id": "u1",
            }
            logins = prefix + "logins"
            partition = await batches.partition_for(logins, probe)
            batches.append(logins, partition, probe, orjson.dumps(event))
            sent[probe] = time.perf_counter()
            await batches.send()
            await asyncio.sleep(max(0.0, started + tick * 0.1 - time.perf_counter()))
        if worker_cpu is not None:
            busy = (worker_cpu() - cpu_before) / (time.perf_counter() - started)
        await producer.flush()
        await asyncio.sleep(5)  # let the last probes arrive
    finally:
        stop.set()
        await asyncio.gather(*collectors)
        await producer.stop()
        for consumer in consumers.values():
            await consumer.stop()
    return {
        name: percentiles([got[key] - sent[key] for key in sent if key in got])
        for name, got in arrivals.items()
    } | {
        "offered_events_per_second": {"rate": rate, "probes": float(len(sent))},
        "worker": {"cpu_seconds_per_second": busy},
    }
