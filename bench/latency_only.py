"""End-to-end latency of one worker at one offered rate, with a choice of model.

    set -a; source .local/env; set +a
    python -m bench.latency_only --rate 5000 [--seconds 20] [--absolute] [--no-sharing]

The latency part of `make bench` alone (bench/latency.py): a fresh worker on
topics of its own, `--rate` single-event messages/s over 2,000 accounts with
a probe every 100 ms, and the produce → health.scores / health.alerts
percentiles. `--absolute` scores with the default model's percentile curves
removed (every factor on its absolute curve); `--no-sharing` sets
HS_POPULATION_SHARING=false. On demand, not in CI: the figures depend on the
machine, so compare runs made one after the other.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from bench.kafka_io import load
from bench.latency import measure_latency
from bench.run import PARTITIONS, Bench, drop_run_topics


def _absolute_model(bench_model: Path, folder: Path) -> Path:
    """The bench's model (alerts fire at once) with no factor ranked in the population."""
    data: dict[str, Any] = yaml.safe_load(bench_model.read_text())
    for component in data["components"].values():
        for factor in component["factors"].values():
            factor["percentile_curve"] = None
    path = folder / "absolute.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, required=True, help="events/s offered")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--absolute", action="store_true", help="no percentile curves")
    parser.add_argument("--no-sharing", action="store_true", help="HS_POPULATION_SHARING=false")
    args = parser.parse_args(argv)
    bootstrap = os.environ.get("HS_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    with tempfile.TemporaryDirectory(prefix="latency-") as scratch:
        folder = Path(scratch)
        bench = Bench(bootstrap, {"latency_seconds": args.seconds}, folder)
        prefix = bench.prefix("latency")
        asyncio.run(load(bootstrap, prefix, PARTITIONS, []))
        extra = {"HS_POPULATION_SHARING": "false"} if args.no_sharing else {}
        if args.absolute:
            extra["HS_MODEL"] = str(_absolute_model(bench.model, folder))
        worker = bench.worker(prefix, "latency", **extra)
        try:
            worker.start()
            figures = asyncio.run(
                measure_latency(
                    bootstrap, prefix, args.rate, args.seconds, 2_000, worker.cpu_seconds
                )
            )
        finally:
            worker.stop()
            drop_run_topics(bootstrap, bench.topics)
    for name in ("scores", "alerts"):
        got = figures[name]
        print(
            f"event → {name}: p50 {got['p50']:.2f} s, p95 {got['p95']:.2f} s, "
            f"p99 {got['p99']:.2f} s ({got['count']:.0f} probes)"
        )
    print(f"worker CPU {figures['worker']['cpu_seconds_per_second']:.2f} s per second")
    return 0


if __name__ == "__main__":
    sys.exit(main())
