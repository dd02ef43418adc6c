"""Two workers, logins through kcat's default partitioner, NPS through aiokafka.

    .venv/bin/python -m bench.mixed_partitioners [--accounts 120] [--logins 6]

kcat (librdkafka) hashes keys with CRC32 by default (`consistent_random`),
aiokafka with murmur2, so the same account's logins and NPS answers land on
different partitions. Starts two real workers (own topics, group and state
folders) against HS_KAFKA_BOOTSTRAP (default 127.0.0.1:9092) and HS_PG_DSN
(without it a worker answers only for its own accounts), produces
profiles and NPS answers with aiokafka and logins with `kcat -P`, and reports:

- how many logins kcat put on another partition than murmur2 would, and how
  many the workers re-routed (healthscore_repartitioned_messages_total);
- the accounts whose changelog rows sit on more than one partition (split);
- the accounts whose health, asked of each worker, lacks engagement (logins)
  or sentiment (NPS);
- the accounts whose durable state differs from the ground truth, the state
  folded directly from the produced events by the workers' own pure code.

Needs `kcat` on PATH (Debian: `apt-get install kcat`). Figures are printed and
written to bench/results/mixed-partitioners-<time>.json.
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
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka.partitioner import murmur2

from bench.worker_process import BenchWorker, isolated_env
from models.model_config import load_model
from tests.support.cluster import send_traffic
from tests.support.truth import (
    Traffic,
    changelog_rows,
    comparable,
    expected_states,
    read_changelog,
    workload,
)

RESULTS = Path(__file__).parent / "results"


def murmur2_partition(key: bytes, partitions: int) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def nps_answers(accounts: list[str]) -> Traffic:
    traffic = Traffic()
    now = datetime.now(UTC).isoformat()
    for n, account in enumerate(accounts):
        event = {
            "event_id": f"{account}-nps",
            "account_id": account,
            "occurred_at": now,
            "respondent_id": f"r{n}",
            "score": n % 11,
        }
        traffic.add("nps", event)
    return traffic


def produce_with_kcat(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    """`kcat -P` with its default partitioner; one `key|value` line per message."""
    lines = b"".join(key + b"|" + value + b"\n" for key, value in messages)
    subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", "|"], input=lines, check=True)


async def health_gaps(workers: list[BenchWorker], accounts: list[str]) -> list[str]:
    """Accounts some worker answers for without engagement or without sentiment."""
    gaps = []
    async with httpx.AsyncClient(timeout=10) as client:
        for account in accounts:
            for worker in workers:
                reply = await client.get(f"{worker.url}/accounts/{account}")
                components = reply.json().get("components", {}) if reply.is_success else {}
                if components.get("engagement") is None or components.get("sentiment") is None:
                    gaps.append(f"{account}@{worker.port}")
    return gaps


def repartitioned(worker: BenchWorker) -> float:
    text = httpx.get(f"{worker.url}/metrics", timeout=5).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("healthscore_repartitioned_messages_total{")
    )


async def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    bootstrap = os.environ.get("HS_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    prefix = f"mix{uuid.uuid4().hex[:8]}."
    env = isolated_env(bootstrap, prefix, args.partitions, "WARNING")
    if os.environ.get("HS_PG_DSN"):  # a worker answers for another's accounts from PostgreSQL
        env["HS_PG_DSN"] = os.environ["HS_PG_DSN"]
    workers = [
        BenchWorker({**env, "HS_DATA_DIR": str(folder / f"w{n}")}, folder / f"w{n}.log")
        for n in range(2)
    ]
    traffic = workload("mix", accounts=args.accounts, logins_per_account=args.logins)
    logins = traffic.by_topic["logins"]
    accounts = sorted({key.decode() for key, _ in logins})
    nps = nps_answers(accounts)
    try:
        print("starting two workers…", flush=True)
        for worker in workers:
            worker.launch()
        for worker in workers:
            worker.wait_for("/readyz")
        await send_traffic(bootstrap, prefix, Traffic({"accounts": traffic.by_topic["accounts"]}))
        print(f"kcat: {len(logins)} logins of {len(accounts)} accounts…", flush=True)
        await asyncio.to_thread(produce_with_kcat, bootstrap, prefix + "logins", logins)
        print(f"aiokafka: {len(accounts)} NPS answers…", flush=True)
        await send_traffic(bootstrap, prefix, nps)

        expected = expected_states([traffic, nps], load_model(None))
        want = {account: comparable(state) for account, state in expected.items()}
        changelog = f"{env['HS_APP_ID']}-account-state-changelog"
        deadline = time.monotonic() + args.timeout
        while True:
            found = await read_changelog(bootstrap, changelog, args.partitions)
            got = {account: comparable(state) for account, state in found.items()}
            if got == want or time.monotonic() > deadline:
                break
            await asyncio.sleep(1.0)
        rows = await changelog_rows(bootstrap, changelog, args.partitions)
        return {
            "accounts": len(accounts),
            "logins": len(logins),
            "nps_answers": len(accounts),
            "logins_kcat_put_off_murmur2": sum(
                zlib.crc32(key) % args.partitions != murmur2_partition(key, args.partitions)
                for key, _ in logins
            ),
            "repartitioned_by_workers": sum(repartitioned(w) for w in workers),
            "accounts_split_across_partitions": sorted(a for a, p in rows.items() if len(p) > 1),
            "accounts_lacking_a_half": await health_gaps(workers, accounts),
            "accounts_differing_from_truth": sorted(
                a for a in set(got) | set(want) if got.get(a) != want.get(a)
            ),
        }
    finally:
        for worker in workers:
            worker.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--accounts", type=int, default=120)
    parser.add_argument("--logins", type=int, default=6, help="logins per account")
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for truth")
    args = parser.parse_args()
    if shutil.which("kcat") is None:
        print("mixed_partitioners: kcat is not on PATH (Debian: apt-get install kcat)")
        return 2
    with tempfile.TemporaryDirectory(prefix="hs-mix-") as folder:
        result = asyncio.run(run(args, Path(folder)))
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"mixed-partitioners-{stamp}.json").write_text(json.dumps(result, indent=2))
    whole = not any(result[k] for k in result if k.startswith("accounts_"))
    return 0 if whole else 1


if __name__ == "__main__":
    sys.exit(main())
