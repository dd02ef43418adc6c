"""How many events the workers lose when one is killed, or when workers join mid-stream.

On demand, not in CI: each scenario runs `--runs` times against the real broker
(HS_KAFKA_BOOTSTRAP) with real worker processes, and every run compares the
durable per-account state (the table's changelog) with the state folded
directly from the produced events (tests.support.truth). An event is lost when
its id is in the expected state and not in the workers' state.

    kill        two workers; after a third of the traffic one is killed with
                SIGKILL mid-stream, then started again.
    scale-out   traffic flows from the first worker's start on; a second and
                a third worker join while it flows, so partitions move to
                workers that are still recovering.

    make loss-runs                     # 20 runs of each
    make loss-runs LOSS_ARGS="--runs 3 --scenario kill"

Per run one line (events expected, lost, seconds), then a summary; the figures
go to bench/results/loss-<time>.json. A worker's log is kept only for a run
that lost events.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.kafka_io import drop_topics
from models.model_config import load_model
from models.state import AccountState
from streams.settings import Settings
from streams.topics import ensure_topics
from tests.support.cluster import cluster, send_traffic, start_all, stop_all, wait_all_ready
from tests.support.truth import Traffic, expected_states, wait_for_states, workload
from tests.support.worker import WorkerProcess, worker_env

RESULTS = Path(__file__).resolve().parent / "results"
ACCOUNTS = 400
LOGINS_PER_ACCOUNT = 15
CHUNKS = 6
CHUNK_PAUSE_SECONDS = 1.5


def log(message: str) -> None:
    print(f"[loss-runs {time.strftime('%H:%M:%S')}] {message}", flush=True)


def seen_ids(state: AccountState) -> set[str]:
    return {event_id for ids in state.seen.values() for event_id in ids}


def lost_events(found: dict[str, AccountState], expected: dict[str, AccountState]) -> int:
    """Event ids the expected states hold and the workers' states do not."""
    lost = 0
    for account, state in expected.items():
        have = seen_ids(found[account]) if account in found else set()
        lost += len(seen_ids(state) - have)
    return lost


async def kill_run(
    bootstrap: str, env: dict[str, str], folder: Path, traffic: Traffic
) -> list[WorkerProcess]:
    workers = cluster(env, folder, 2)
    await start_all(workers)
    victim = workers[1]
    for index, chunk in enumerate(traffic.chunks(CHUNKS)):
        await send_traffic(bootstrap, env["HS_TOPIC_PREFIX"], chunk)
        if index == 2:
            await asyncio.sleep(0.3)  # mid-stream: the victim is processing chunk 2
            victim.kill()
    await asyncio.to_thread(victim.start, 120.0)
    return workers


async def scale_out_run(
    bootstrap: str, env: dict[str, str], folder: Path, traffic: Traffic
) -> list[WorkerProcess]:
    workers = cluster(env, folder, 3)
    # Traffic flows from the first worker's start-up on, and the others join it
    # without being waited for: fetches keep arriving while partitions move and
    # workers recover, before any offset of theirs is committed.
    await ensure_topics(
        Settings(
            kafka_bootstrap=bootstrap,
            topic_prefix=env["HS_TOPIC_PREFIX"],
            partitions=int(env["HS_PARTITIONS"]),
        )
    )
    joins = {0: workers[0], 2: workers[1], 4: workers[2]}
    for index, chunk in enumerate(traffic.chunks(CHUNKS)):
        if index in joins:
            joins[index].launch()
        await send_traffic(bootstrap, env["HS_TOPIC_PREFIX"], chunk)
        await asyncio.sleep(CHUNK_PAUSE_SECONDS)
    await wait_all_ready(workers)
    return workers


Scenario = Callable[[str, dict[str, str], Path, Traffic], Awaitable[list[WorkerProcess]]]
SCENARIOS: dict[str, Scenario] = {"kill": kill_run, "scale-out": scale_out_run}


async def one_run(bootstrap: str, name: str, folder: Path) -> dict[str, Any]:
    env = worker_env(bootstrap, None, folder)
    traffic = workload(env["HS_APP_ID"], ACCOUNTS, LOGINS_PER_ACCOUNT)
    expected = expected_states([traffic], load_model(None))
    started = time.monotonic()
    workers: list[WorkerProcess] = []
    try:
        workers = await SCENARIOS[name](bootstrap, env, folder, traffic)
        found = await wait_for_states(bootstrap, env, expected, within=120.0)
    finally:
        await stop_all(workers)
        # Topics and the changelog share the prefix: "t<hex>." and "t<hex>-app-…".
        await drop_topics(bootstrap, env["HS_TOPIC_PREFIX"].rstrip("."))
    events = sum(len(seen_ids(state)) for state in expected.values())
    return {
        "scenario": name,
        "events": events,
        "lost": lost_events(found, expected),
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each scenario")
    parser.add_argument(
        "--scenario", choices=sorted(SCENARIOS), action="append", help="default: all"
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    bootstrap = os.environ.get("HS_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    # The producer's retries while new topics get their leaders are expected.
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    runs: list[dict[str, Any]] = []
    for name in args.scenario or sorted(SCENARIOS):
        for number in range(1, args.runs + 1):
            folder = Path(tempfile.mkdtemp(prefix=f"hs-loss-{name}-"))
            result = asyncio.run(one_run(bootstrap, name, folder))
            result["run"] = number
            runs.append(result)
            kept = ""
            if result["lost"]:
                kept = f"; worker logs kept in {folder}"
            else:
                shutil.rmtree(folder, ignore_errors=True)
            log(
                f"{name} {number}/{args.runs}: {result['lost']} of {result['events']} events "
                f"lost ({result['seconds']} s){kept}"
            )
    summary = {
        name: {
            "runs": len(of),
            "events": sum(r["events"] for r in of),
            "lost": sum(r["lost"] for r in of),
            "runs_with_loss": sum(1 for r in of if r["lost"]),
        }
        for name in sorted({r["scenario"] for r in runs})
        for of in [[r for r in runs if r["scenario"] == name]]
    }
    out = args.out or RESULTS / f"loss-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"summary": summary, "runs": runs}, indent=2))
    for name, figures in summary.items():
        log(
            f"{name}: {figures['lost']} of {figures['events']} events lost in "
            f"{figures['runs']} runs ({figures['runs_with_loss']} runs with a loss)"
        )
    log(f"figures: {out}")
    return 1 if any(figures["lost"] for figures in summary.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
