"""Two workers started at the same moment, many times: does an assigned partition stall?

    .venv/bin/python -m bench.two_worker_chaos [--runs 30]      # or: make two-worker-chaos

On demand, not in CI (about a minute a run). Each run has its own topics,
group and state folders, against HS_KAFKA_BOOTSTRAP (default 127.0.0.1:9092):

1. a backlog (`--backlog` events in batch envelopes, and a first share of
   the checked accounts' events) is loaded, and a producer goes on writing
   the checked accounts' events for `--produce-seconds` while
2. two real workers (`python -m streams worker`) are launched at the same
   moment, as a StatefulSet with `podManagementPolicy: Parallel`,
   `docker compose up` or `make run WORKERS=2` starts them (`--stagger S`:
   the second S seconds later, so that the first has committed offsets of
   its own when the second's join rebalances it);
3. once the group is stable with both, the run waits for the clean end:
   every input partition committed to its end (Kafka's view), and every
   checked account's `state_version` from the HTTP API equal to the number
   of its activity events as the workers' own code folds them (the user's).

Meanwhile an input partition stalls when it is behind its end and neither
its committed offset nor the offset its owner read of it moves for
`--stuck-after` seconds, while the owner moves another partition or has no
other behind: a worker slow as a whole on a busy machine stalls nothing. A
run with a stall goes on waiting, up to
`--patience` seconds after the group settled (the fetch watch's 60 s, its
15 s check and room to catch up), to see whether the workers recover, and
whether the fetch watch (streams/engine/fetch_watch.py) logged and resumed
partitions. `/readyz` is polled throughout; its stall reasons are kept.

A run whose offsets are all committed while accounts are short of their
events lost events (EVENTS LOST), the worst outcome: nothing would ever
bring them back.

One line per run; at the end "stalls: k of N", how many of them the workers
recovered from and in how many the fetch watch resumed a partition, the runs
not recovered and those with events lost, and the
figures in bench/results/two-worker-chaos-<time>.json, rewritten after every
run. Worker logs are kept for a run that stalled or did not finish (`--keep`:
for every run).
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
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka.errors import KafkaError

from bench.group_watch import GroupState, GroupWatch
from bench.kafka_io import drop_topics, load
from bench.worker_process import BenchWorker, free_port, isolated_env
from bench.worker_views import (
    fetch_watch_reports,
    member_of,
    read_offsets,
    stall_reasons,
    state_versions,
)
from bench.workload import batch_messages
from models.model_config import load_model
from streams.settings import Settings
from streams.topics import INPUT_TOPICS, ensure_topics
from tests.support.cluster import send_traffic
from tests.support.truth import Traffic, expected_states, read_changelog

RESULTS = Path(__file__).resolve().parent / "results"
LIVE_CHUNKS = 10
# The segment of the accounts whose health is checked (the backlog's accounts have none).
SEGMENT = "chaos"
# The workers of the run under way, stopped if the run is interrupted.
STARTED: list[BenchWorker] = []


def log(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", flush=True)


def chaos_traffic(tag: str, accounts: int, logins: int, seed: int) -> Traffic:
    """A profile and activity on every input topic for each account."""
    now = datetime.now(UTC)
    traffic = Traffic()
    for n in range(accounts):
        account = f"{tag}-{n:05d}"
        at = (now - timedelta(hours=n % 48 + 1)).isoformat()
        traffic.add(
            "accounts",
            {"event_id": f"{account}-p", "account_id": account, "occurred_at": at,
             "name": f"{account} Inc", "segment": SEGMENT, "arr": 50_000 + n},
        )  # fmt: skip
        for i in range(logins):
            traffic.add(
                "logins",
                {"event_id": f"{account}-l{i}", "account_id": account,
                 "occurred_at": (now - timedelta(hours=7 * i + (n + seed) % 5)).isoformat(),
                 "user_id": f"u{(n + i) % 9}", "feature": ("reports", "api", "sso")[i % 3]},
            )  # fmt: skip
        traffic.add(
            "tickets",
            {"event_id": f"{account}-t", "account_id": account, "occurred_at": at,
             "ticket_id": f"T{n}", "status": "opened", "priority": "normal"},
        )  # fmt: skip
        traffic.add(
            "nps",
            {"event_id": f"{account}-n", "account_id": account, "occurred_at": at,
             "respondent_id": f"r{n}", "score": n % 11},
        )  # fmt: skip
        traffic.add(
            "renewals",
            {"event_id": f"{account}-r", "account_id": account, "occurred_at": at,
             "contract_id": f"C{n}", "status": "upcoming", "arr": 50_000 + n,
             "renewal_date": (now + timedelta(days=30 + n % 200)).date().isoformat()},
        )  # fmt: skip
    return traffic


@dataclass
class Run:
    number: int
    folder: Path
    env: dict[str, str]
    workers: list[BenchWorker]
    versions: dict[str, int]  # account -> state_version it must reach
    started: float = field(default_factory=time.monotonic)
    record: dict[str, Any] = field(default_factory=dict)
    readyz: set[str] = field(default_factory=set)

    def at(self) -> float:
        return round(time.monotonic() - self.started, 1)


async def wait_settled(run: Run, watch: GroupWatch, within: float) -> GroupState | None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for worker in run.workers:
            if worker.process is None or worker.process.poll() is not None:
                raise RuntimeError(f"worker exited; see {worker.log_path}")
        try:
            group = await watch.describe()
        except KafkaError:  # no coordinator for the new group yet
            group = None
        if group is not None and group.state == "Stable" and len(group.members) == 2:
            return group
        await asyncio.sleep(0.5)
    return None


async def observe(run: Run, watch: GroupWatch, args: argparse.Namespace) -> None:
    """Wait for the clean end, and note every input partition that stalls meanwhile.

    A partition moves when its committed offset or the offset its owner read
    of it changes. It stalls when it is behind (committed short of its end)
    and has not moved for `--stuck-after` seconds while its owner moved
    another partition in that time, or has none other behind: the worker
    fetches, only not that partition. A worker slow as a whole (a busy
    machine) moves none and stalls nothing.
    """
    prefix = run.env["HS_TOPIC_PREFIX"]
    topics = [prefix + name for name in INPUT_TOPICS]
    partitions = int(run.env["HS_PARTITIONS"])
    settled_at = time.monotonic()
    last_move: dict[tuple[str, int], tuple[tuple[int, float], float]] = {}
    stalled: dict[tuple[str, int], dict[str, Any]] = {}
    while True:
        now = time.monotonic()
        run.readyz |= stall_reasons(run.workers)
        lag = await watch.lag(topics, partitions)
        group = await watch.describe()
        owners = {tp: member_of(run.workers, group.owner(*tp)) for tp in lag}
        read = {
            f"w{index}": await asyncio.to_thread(read_offsets, worker)
            for index, worker in enumerate(run.workers)
        }
        for tp, count in lag.items():
            mark = (count, read.get(owners[tp], {}).get(tp, -1.0))
            if tp not in last_move or last_move[tp][0] != mark:
                last_move[tp] = (mark, now)
        behind = {tp: n for tp, n in lag.items() if n}
        if behind:
            run.record.pop("committed_after_settled", None)
        else:
            run.record.setdefault("committed_after_settled", round(now - settled_at, 1))
            versions = await asyncio.to_thread(state_versions, run.workers, SEGMENT)
            short = {
                a: (v, versions.get(a)) for a, v in run.versions.items() if versions.get(a, -1) < v
            }
            if not short:
                run.record["clean_after_settled"] = round(now - settled_at, 1)
                run.record["recovered"] = True
                return
            run.record["short_accounts"] = len(short)
            run.record["short_examples"] = dict(sorted(short.items())[:5])
        for tp, count in behind.items():
            if tp in stalled or now - last_move[tp][1] < args.stuck_after:
                continue
            peers = [p for p in lag if p != tp and owners[p] == owners[tp]]
            if any(now - last_move[p][1] < args.stuck_after or not lag[p] for p in peers):
                stalled[tp] = {
                    "partition": f"{tp[0].removeprefix(prefix)}[{tp[1]}]",
                    "lag": count,
                    "owner": owners[tp],
                    "unmoved_since_settled": round(last_move[tp][1] - settled_at, 1),
                }
                log(f"run {run.number}: stalled {stalled[tp]}")
                run.record["stalled"] = list(stalled.values())
        if now - settled_at >= args.patience:
            if "short_examples" in run.record:  # what the changelog, the durable state, holds
                durable = await read_changelog(
                    run.env["HS_KAFKA_BOOTSTRAP"],
                    f"{run.env['HS_APP_ID']}-account-state-changelog",
                    partitions,
                )
                run.record["changelog_versions"] = {
                    a: durable[a].state_version if a in durable else None
                    for a in run.record["short_examples"]
                }
            run.record["recovered"] = False
            run.record["behind"] = {
                f"{t.removeprefix(prefix)}[{p}]": n for (t, p), n in behind.items()
            }
            return
        await asyncio.sleep(2.0)


async def one_run(number: int, bootstrap: str, args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="hs-chaos-"))
    prefix = f"chaos{uuid.uuid4().hex[:8]}."
    env = isolated_env(bootstrap, prefix, args.partitions, "INFO")
    ports = (
        [free_port(), free_port()]
        if args.first_port is None
        else [args.first_port, args.first_port + 1]
    )
    workers = [
        BenchWorker({**env, "HS_DATA_DIR": str(folder / f"w{i}")}, folder / f"w{i}.log", port)
        for i, port in enumerate(ports)
    ]
    STARTED.extend(workers)
    traffic = chaos_traffic(prefix.rstrip("."), args.accounts, args.logins, number)
    expected = expected_states([traffic], load_model(None))
    run = Run(number, folder, env, workers, {a: s.state_version for a, s in expected.items()})
    run.record = {"run": number, "events": traffic.count(), "app_id": env["HS_APP_ID"]}
    await ensure_topics(
        Settings(kafka_bootstrap=bootstrap, topic_prefix=prefix, partitions=args.partitions)
    )
    chunks = traffic.chunks(LIVE_CHUNKS + 1)
    await load(
        bootstrap, prefix, args.partitions, batch_messages(args.backlog, args.backlog_accounts)
    )
    await send_traffic(bootstrap, prefix, chunks[0])
    watch = GroupWatch(bootstrap, env["HS_APP_ID"])
    await watch.start()
    try:
        run.started = time.monotonic()
        workers[0].launch()
        if args.stagger:
            await asyncio.sleep(args.stagger)
        workers[1].launch()  # by default at the same moment: neither waits for the other

        async def live() -> None:
            for chunk in chunks[1:]:
                await send_traffic(bootstrap, prefix, chunk)
                await asyncio.sleep(args.produce_seconds / LIVE_CHUNKS)

        producing = asyncio.ensure_future(live())
        group = await wait_settled(run, watch, args.settle_timeout)
        await producing
        if group is None:
            run.record.update(recovered=False, failure="group never stable with both workers")
        else:
            run.record["settled_after_launch"] = run.at()
            await observe(run, watch, args)
    except (RuntimeError, TimeoutError) as exc:
        run.record.update(recovered=False, failure=str(exc))
    finally:
        run.record["fetch_watch"] = fetch_watch_reports(run.workers)
        run.record["readyz_stall_reasons"] = sorted(run.readyz)
        run.record["seconds"] = run.at()
        await watch.close()
        for worker in workers:
            await asyncio.to_thread(worker.stop)
        await drop_topics(bootstrap, prefix.rstrip("."))
    problem = run.record.get("stalled") or not run.record.get("recovered")
    if problem or args.keep:
        run.record["logs"] = str(folder)
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return run.record


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    stalled = [r for r in runs if r.get("stalled")]
    return {
        "runs": len(runs),
        "stalls": len(stalled),
        # Recovered within --patience, with the fetch watch having resumed partitions or not.
        "stalls_cured_by_fetch_watch": sum(
            1 for r in stalled if r.get("recovered") and r.get("fetch_watch")
        ),
        "stalls_recovered_by_themselves": sum(
            1 for r in stalled if r.get("recovered") and not r.get("fetch_watch")
        ),
        "runs_not_recovered": sum(1 for r in runs if not r.get("recovered")),
        # Every offset committed, yet accounts short of their events: events lost.
        "runs_with_events_lost": sum(1 for r in runs if r.get("short_accounts")),
        "runs_with_fetch_watch_reports": sum(1 for r in runs if r.get("fetch_watch")),
        "median_seconds": sorted(r["seconds"] for r in runs)[len(runs) // 2],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--accounts", type=int, default=600, help="at most 1000 per worker")
    parser.add_argument("--logins", type=int, default=20, help="logins per account")
    parser.add_argument(
        "--backlog", type=int, default=200_000, help="events in batch envelopes loaded first"
    )
    parser.add_argument("--backlog-accounts", type=int, default=2_000)
    parser.add_argument("--produce-seconds", type=float, default=15.0)
    parser.add_argument("--settle-timeout", type=float, default=120.0)
    parser.add_argument("--stuck-after", type=float, default=45.0)
    parser.add_argument("--patience", type=float, default=150.0)
    parser.add_argument(
        "--stagger", type=float, default=0.0, help="seconds between the two launches"
    )
    parser.add_argument("--first-port", type=int, default=None, help="workers' HTTP ports")
    parser.add_argument("--keep", action="store_true", help="keep every run's logs")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    bootstrap = os.environ.get("HS_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    out = args.out or RESULTS / f"two-worker-chaos-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    runs: list[dict[str, Any]] = []
    began = time.monotonic()
    for number in range(1, args.runs + 1):
        try:
            record = asyncio.run(one_run(number, bootstrap, args))
        finally:  # an interrupted run leaves no worker behind
            for worker in STARTED:
                worker.stop()
            STARTED.clear()
        runs.append(record)
        if record.get("short_accounts"):
            outcome = (
                f"EVENTS LOST: every offset committed, {record['short_accounts']} accounts "
                "short of their events"
            )
        elif not record.get("recovered"):
            outcome = f"NOT RECOVERED, behind: {record.get('behind') or record.get('failure')}"
        else:
            outcome = "stalled, recovered" if record.get("stalled") else "clean"
        log(
            f"run {number}/{args.runs}: {outcome} ({record['seconds']} s"
            f"{'; logs ' + record['logs'] if 'logs' in record else ''})"
        )
        summary = summarize(runs) | {"total_seconds": round(time.monotonic() - began)}
        figures = {"summary": summary, "args": vars(args) | {"out": str(out)}, "runs": runs}
        out.write_text(json.dumps(figures, indent=2, default=str))  # after every run
    log(
        f"stalls: {summary['stalls']} of {summary['runs']} "
        f"({summary['stalls_cured_by_fetch_watch']} cured by the fetch watch, "
        f"{summary['stalls_recovered_by_themselves']} recovered without it); "
        f"runs not recovered: {summary['runs_not_recovered']}, of which with events lost: "
        f"{summary['runs_with_events_lost']}; "
        f"median run {summary['median_seconds']} s; figures: {out}"
    )
    return 1 if summary["stalls"] or summary["runs_not_recovered"] else 0


if __name__ == "__main__":
    sys.exit(main())
