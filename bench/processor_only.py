"""The scoring processor alone, without Kafka or Faust: where a worker's CPU goes.

    python -m bench.processor_only [--events N] [--accounts N] [--single] [--profile]

Feeds the benchmark's workload to `AccountProcessor` in batches the size the
worker takes, with an in-memory table and outputs that drop what they get,
and prints events/s — plus, with --profile, the functions that cost most.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time
from typing import Any

from bench.workload import batch_messages, single_messages
from models.alerting.event import AlertEvent
from models.health import Health
from models.model_config import load_model
from models.population import Population
from models.validation import Rejection
from sinks.metrics import create_metrics
from streams.garbage import collect_garbage_less_often
from streams.topology.pipeline import BATCH_MAX
from streams.topology.population_share import PopulationShare
from streams.topology.processor import AccountProcessor, RawMessage


class DroppedOutputs:
    async def publish(
        self, account_id: str, health: tuple[Health, bytes] | None, alerts: list[AlertEvent]
    ) -> None:
        pass

    async def reject(self, message: RawMessage, rejection: Rejection) -> None:
        pass


class MemoryTable(dict[str, bytes]):
    def put(self, account_id: str, partition: int, value: bytes) -> None:
        self[account_id] = value


def messages(events: int, accounts: int, single: bool) -> list[RawMessage]:
    source = single_messages(events, accounts) if single else batch_messages(events, accounts)
    return [
        RawMessage(topic, topic, 0, offset, key, value, [])
        for offset, (topic, key, value) in enumerate(source)
    ]


async def feed(processor: AccountProcessor, batch: list[RawMessage], size: int) -> None:
    for start in range(0, len(batch), size):
        await processor.process(batch[start : start + size])
        # As if every batch were followed by a commit: rows written once per batch.
        processor.write_rows()


def run(batch: list[RawMessage], size: int, profile: bool) -> float:
    metrics = create_metrics()
    # As a worker scores: ranked factors in a population its own scores keep.
    population = PopulationShare(Population(), metrics)
    processor = AccountProcessor(
        load_model(None), MemoryTable(), DroppedOutputs(), metrics, population=population
    )
    work: Any = feed(processor, batch, size)
    started = time.perf_counter()
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(asyncio.run, work)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    else:
        asyncio.run(work)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--single", action="store_true", help="one event per message")
    parser.add_argument("--batch-messages", type=int, default=0, help="messages per batch")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    batch = messages(args.events, args.accounts, args.single)
    collect_garbage_less_often()  # as the worker does
    # What one batch of the worker holds when it has a backlog.
    size = args.batch_messages or BATCH_MAX
    seconds = run(batch, size, args.profile)
    print(
        f"{args.events:,} events in {len(batch):,} messages, {size} messages per batch: "
        f"{args.events / seconds:,.0f} events/s"
    )


if __name__ == "__main__":
    main()
