"""`make bench`: throughput, latency, recovery, cost and the gateway, with in-run baselines.

Every figure is measured in this run on the same broker and data, so ratios
compare like with like on a shared, noisy machine. Prints one table and
writes all figures to bench/results/bench-<time>.json.

    python -m bench.run [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from bench import gateway_load
from bench.kafka_io import drop_topics, load, wait_for_group
from bench.latency import measure_latency
from bench.raw_loop import raw_rate
from bench.worker_process import BenchWorker, wait_processed
from bench.workload import batch_messages, single_messages
from models.model_config import load_model
from streams.topics import INPUT_TOPICS

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = {
    "full": {
        "single": 150_000,
        "single_accounts": 5_000,
        "batch": 3_000_000,
        "batch_accounts": 2_000,
        "recovery_accounts": 100_000,
        "latency_seconds": 30.0,
        "gateway": gateway_load.SIZES["full"],
    },
    "smoke": {
        "single": 3_000,
        "single_accounts": 200,
        "batch": 20_000,
        "batch_accounts": 100,
        "recovery_accounts": 1_000,
        "latency_seconds": 3.0,
        "gateway": gateway_load.SIZES["smoke"],
    },
}
PARTITIONS = 4


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


class Bench:
    def __init__(self, bootstrap: str, sizes: dict[str, Any], workdir: Path) -> None:
        self.bootstrap = bootstrap
        self.sizes = sizes
        self.workdir = workdir
        self.run_id = uuid.uuid4().hex[:6]
        self.model = self._fast_alert_model()

    def _fast_alert_model(self) -> Path:
        model = load_model(None).model_dump(mode="json")
        model["alerts"] = {**model["alerts"], "pending_for": 0}
        path = self.workdir / "model.yaml"
        path.write_text(yaml.safe_dump(model))
        return path

    @property
    def topics(self) -> str:
        """What the name of every topic of this run starts with (inputs, outputs, changelogs)."""
        return f"bench{self.run_id}"

    def prefix(self, name: str) -> str:
        return f"{self.topics}.{name}."

    def app_id(self, app: str) -> str:
        return f"{self.topics}-{app}"

    def worker(self, prefix: str, app: str, **extra: str) -> BenchWorker:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HS_")}
        env |= {
            "HS_KAFKA_BOOTSTRAP": self.bootstrap,
            "HS_TOPIC_PREFIX": prefix,
            "HS_APP_ID": self.app_id(app),
            "HS_PARTITIONS": str(PARTITIONS),
            "HS_DATA_DIR": str(self.workdir / app / uuid.uuid4().hex[:6]),
            "HS_MODEL": str(self.model),
            "HS_LOG_LEVEL": "WARNING",
            **extra,
        }
        return BenchWorker(env, self.workdir / f"{app}.log")

    def pipeline(
        self, name: str, messages: Iterable[tuple[str, bytes, bytes]], expected: int, workers: int
    ) -> dict[str, float]:
        """The full pipeline's rate, with `workers` workers sharing the partitions.

        The local broker starts a new group's first rebalance at once, so the
        first worker up works alone until its peers join. The rate is measured
        from the first poll after the group is stable with every worker in it
        and each has processed something, to the last event.
        """
        prefix = self.prefix(name)
        asyncio.run(load(self.bootstrap, prefix, PARTITIONS, messages))
        running = [self.worker(prefix, name) for _ in range(workers)]
        try:
            for worker in running:
                worker.launch()
            group = wait_for_group(self.bootstrap, self.app_id(name), workers)
            asyncio.run(asyncio.wait_for(group, timeout=120))
            return wait_processed(running, expected, timeout=900, started=time.perf_counter())
        finally:
            for worker in running:
                worker.stop()

    def faust_ceiling(self, prefix: str, messages: int) -> dict[str, float]:
        out = self.workdir / "faust-count.json"
        topics = [prefix + name for name in INPUT_TOPICS]
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.faust_count",
                self.bootstrap,
                str(messages),
                str(out),
                *topics,
            ],
            check=True,
            timeout=900,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        result: dict[str, float] = json.loads(out.read_text())
        return result

    def recovery(self) -> dict[str, float]:
        accounts = self.sizes["recovery_accounts"]
        prefix = self.prefix("recovery")
        # Envelopes load the state in a fraction of the time single events take.
        envelopes = list(batch_messages(accounts * 3, accounts, seed=5))
        asyncio.run(load(self.bootstrap, prefix, PARTITIONS, envelopes))
        sent, accounts = accounts * 3, len({key for _, key, _ in envelopes})
        worker = self.worker(prefix, "recovery")
        started = time.perf_counter()
        worker.start()
        loaded = wait_processed([worker], sent, timeout=900, started=started)
        rss = worker.peak_rss_bytes()
        worker.stop(kill=True)
        # Restarted in place: its RocksDB folder is there, only the changelog's tail is read.
        in_place = worker.start(timeout=900)
        worker.stop(kill=True)
        # A replacement node: no local RocksDB, everything comes from the changelog.
        shutil.rmtree(worker.env["HS_DATA_DIR"], ignore_errors=True)
        ready = worker.start(timeout=900)
        worker.stop()
        return {
            "accounts": accounts,
            "events": sent,
            "load_events_per_second": loaded["events_per_second"],
            "restart_in_place_seconds": in_place,
            "recovery_seconds": ready,
            "peak_rss_bytes": rss,
            "rss_bytes_per_100k_accounts": rss / accounts * 100_000,
        }

    def run(self) -> dict[str, Any]:
        s = self.sizes
        single_prefix, batch_prefix = self.prefix("single"), self.prefix("batch")
        log(f"loading {s['single']} single-event messages and {s['batch']} events in batches")
        single_sent = asyncio.run(
            load(
                self.bootstrap,
                single_prefix,
                PARTITIONS,
                single_messages(s["single"], s["single_accounts"]),
            )
        )
        batch_sent = asyncio.run(
            load(
                self.bootstrap,
                batch_prefix,
                PARTITIONS,
                batch_messages(s["batch"], s["batch_accounts"]),
            )
        )
        results: dict[str, Any] = {"sizes": s, "partitions": PARTITIONS, "topics": self.topics}
        log("raw aiokafka consume + parse loop")
        results["raw_single"] = asyncio.run(
            raw_rate(self.bootstrap, [single_prefix + t for t in INPUT_TOPICS], single_sent)
        )
        results["raw_batch"] = asyncio.run(
            raw_rate(self.bootstrap, [batch_prefix + t for t in INPUT_TOPICS], batch_sent)
        )
        log_rate("raw loop", results["raw_single"], results["raw_batch"])
        log("plain Faust counting agent")
        results["faust_single"] = self.faust_ceiling(single_prefix, single_sent)
        log(f"  {results['faust_single']['messages_per_second']:,.0f} messages/s")
        log("healthscore, single-event messages, 1 worker")
        results["pipeline_single"] = self.pipeline(
            "single1", single_messages(s["single"], s["single_accounts"]), s["single"], 1
        )
        log_rate("", results["pipeline_single"])
        log("healthscore, batch envelopes, 1 worker")
        results["pipeline_batch"] = self.pipeline(
            "batch1", batch_messages(s["batch"], s["batch_accounts"]), s["batch"], 1
        )
        log_rate("", results["pipeline_batch"])
        log("healthscore, batch envelopes, 2 workers")
        results["pipeline_batch_2_workers"] = self.pipeline(
            "batch2", batch_messages(s["batch"], s["batch_accounts"]), s["batch"], 2
        )
        log_rate("", results["pipeline_batch_2_workers"])
        half = results["pipeline_single"]["events_per_second"] / 2
        log(f"latency at half the single-event capacity ({half:.0f} events/s)")
        results["latency"] = self.latency(half)
        log(f"  event → alert {_pcts(results['latency']['alerts'])}")
        busy = results["latency"]["worker"]["cpu_seconds_per_second"]
        log(f"  the worker used {busy:.2f} CPU s per second meanwhile")
        log(f"recovery of {s['recovery_accounts']} accounts")
        results["recovery"] = self.recovery()
        recovery = results["recovery"]
        log(
            f"  in place {recovery['restart_in_place_seconds']:.1f} s, "
            f"from the changelog {recovery['recovery_seconds']:.1f} s"
        )
        log("the gateway against a bare handler producing the same messages")
        results["gateway"] = gateway_load.measure(
            self.bootstrap, self.topics, self.workdir, s["gateway"]
        )
        results["ratios"] = ratios(results)
        return results

    def latency(self, rate: float) -> dict[str, Any]:
        prefix = self.prefix("latency")
        asyncio.run(load(self.bootstrap, prefix, PARTITIONS, []))
        worker = self.worker(prefix, "latency")
        try:
            worker.start()
            return asyncio.run(
                measure_latency(
                    self.bootstrap,
                    prefix,
                    rate,
                    self.sizes["latency_seconds"],
                    2_000,
                    worker.cpu_seconds,
                )
            )
        finally:
            worker.stop()


def log_rate(name: str, *figures: dict[str, float]) -> None:
    rates = " / ".join(f"{f['events_per_second']:,.0f}" for f in figures)
    log(f"  {name} {rates} events/s".replace("   ", "  "))


def ratios(r: dict[str, Any]) -> dict[str, float]:
    return {
        "single_vs_faust_ceiling": r["pipeline_single"]["events_per_second"]
        / r["faust_single"]["messages_per_second"],
        "single_vs_raw_loop": r["pipeline_single"]["events_per_second"]
        / r["raw_single"]["events_per_second"],
        "batch_vs_raw_loop": r["pipeline_batch"]["events_per_second"]
        / r["raw_batch"]["events_per_second"],
        "two_workers_vs_one": r["pipeline_batch_2_workers"]["events_per_second"]
        / r["pipeline_batch"]["events_per_second"],
    } | {
        f"gateway_{shape}_vs_ceiling": r["gateway"][shape]["ratio"] for shape in gateway_load.SHAPES
    }


def table(r: dict[str, Any]) -> str:
    rows = [
        ("raw aiokafka loop, single messages", f"{r['raw_single']['events_per_second']:,.0f} ev/s"),
        ("raw aiokafka loop, batch envelopes", f"{r['raw_batch']['events_per_second']:,.0f} ev/s"),
        ("plain Faust agent (ceiling)", f"{r['faust_single']['messages_per_second']:,.0f} msg/s"),
        ("healthscore, single messages", f"{r['pipeline_single']['events_per_second']:,.0f} ev/s"),
        ("healthscore, batch envelopes", f"{r['pipeline_batch']['events_per_second']:,.0f} ev/s"),
        (
            "healthscore, batch, 2 workers",
            f"{r['pipeline_batch_2_workers']['events_per_second']:,.0f} ev/s",
        ),
        ("single / Faust ceiling", f"{r['ratios']['single_vs_faust_ceiling']:.2f}"),
        ("2 workers / 1", f"{r['ratios']['two_workers_vs_one']:.2f}"),
        ("event → score p50/p95/p99", _pcts(r["latency"]["scores"])),
        ("event → alert p50/p95/p99", _pcts(r["latency"]["alerts"])),
        (
            "worker CPU under the latency load",
            f"{r['latency']['worker']['cpu_seconds_per_second']:.2f} s/s",
        ),
        (
            f"restart in place, {r['recovery']['accounts']:,} accounts",
            f"{r['recovery']['restart_in_place_seconds']:.1f} s",
        ),
        (
            f"recovery from changelog, {r['recovery']['accounts']:,} accounts",
            f"{r['recovery']['recovery_seconds']:.1f} s",
        ),
        (
            "RSS per 100k accounts",
            f"{r['recovery']['rss_bytes_per_100k_accounts'] / 2**20:,.0f} MiB",
        ),
        (
            "CPU s per million events (batch)",
            f"{r['pipeline_batch']['cpu_seconds_per_million_events']:.1f}",
        ),
        (
            "CPU s per million events (single)",
            f"{r['pipeline_single']['cpu_seconds_per_million_events']:.1f}",
        ),
        ("peak RSS (batch run)", f"{r['pipeline_batch']['peak_rss_bytes'] / 2**20:,.0f} MiB"),
        *gateway_load.table(r["gateway"]),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value:>20}" for name, value in rows)


def _pcts(p: dict[str, float]) -> str:
    return f"{p['p50']:.2f}/{p['p95']:.2f}/{p['p99']:.2f} s"


def drop_run_topics(bootstrap: str, prefix: str) -> None:
    """A full run leaves several GB in the broker's topics; repeated runs would fill the disk."""
    try:
        removed = asyncio.run(drop_topics(bootstrap, prefix))
    except Exception as exc:  # the broker may be what failed
        log(f"could not delete the run's topics ({prefix}*): {exc!r}")
        return
    log(f"deleted the run's {removed} topics ({prefix}*)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the harness works")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    bootstrap = os.environ.get("HS_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    folder = Path(tempfile.mkdtemp(prefix="hs-bench-"))
    bench = Bench(bootstrap, SIZES["smoke" if args.smoke else "full"], folder)
    try:
        results = bench.run()
    except Exception:
        log(f"failed; worker logs kept in {folder}")
        raise
    finally:
        drop_run_topics(bootstrap, bench.topics)
    shutil.rmtree(folder, ignore_errors=True)
    out = args.out or RESULTS / f"bench-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(table(results))
    print(f"figures: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
