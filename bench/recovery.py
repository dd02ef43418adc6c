"""Recovery after kill -9, and memory, for a worker holding many accounts.

    .venv/bin/python -m bench.recovery [--accounts 100000] [--logins 5]

Starts one real worker (own topics, group and state folder) against
HS_KAFKA_BOOTSTRAP (default 127.0.0.1:9092), loads `--accounts` accounts
(a profile and a batch of logins each), and reports:

- resident memory (VmRSS) of the idle worker, and after the load;
- for a kill -9 followed by a restart on the same RocksDB folder, and again on
  an empty one (a new machine: the whole changelog is replayed): seconds from
  the restart to `/readyz` answering 200, and to a new event being processed
  (a login for a new account, produced right at the restart, visible in
  `GET /accounts/{id}`).

Figures are printed, not asserted: they depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer

from bench.worker_process import BenchWorker


async def load(bootstrap: str, prefix: str, accounts: int, logins: int) -> int:
    """Produce a profile and one batch of `logins` logins per account; return the event count."""
    now = datetime.now(UTC)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=256 * 1024
    )
    await producer.start()
    try:
        pending = []
        for n in range(accounts):
            account = f"acct-{n:07d}"
            key = account.encode()
            profile = {
                "event_id": f"{account}-p",
                "account_id": account,
                "occurred_at": (now - timedelta(days=3)).isoformat(),
                "name": f"Account {n}",
                "segment": ("smb", "mid_market", "enterprise")[n % 3],
                "arr": 1000.0 * (n % 500),
                "csm_owner": f"csm{n % 40}",
            }
            batch = [
                {
                    "event_id": f"{account}-l{i}",
                    "account_id": account,
                    "occurred_at": (now - timedelta(hours=7 * i + n % 5)).isoformat(),
                    "user_id": f"u{(n + i) % 25}",
                    "feature": ("reports", "api", "sso", "alerts")[i % 4],
                }
                for i in range(logins)
            ]
            pending.append(await producer.send(f"{prefix}accounts", orjson.dumps(profile), key))
            pending.append(await producer.send(f"{prefix}logins", orjson.dumps(batch), key))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return accounts * (1 + logins)


async def send_probe(bootstrap: str, prefix: str, account: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        event = {
            "event_id": f"{account}-probe",
            "account_id": account,
            "occurred_at": datetime.now(UTC).isoformat(),
            "user_id": "probe",
        }
        await producer.send_and_wait(f"{prefix}logins", orjson.dumps(event), account.encode())
    finally:
        await producer.stop()


def restart_and_time(worker: BenchWorker, bootstrap: str, prefix: str, label: str) -> None:
    worker.stop(kill=True)
    probe = f"probe-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    worker.launch()
    asyncio.run(send_probe(bootstrap, prefix, probe))
    worker.wait_for("/readyz", timeout=600)
    ready = time.monotonic() - started
    worker.wait_for(f"/accounts/{probe}", timeout=600)
    processed = time.monotonic() - started
    print(
        f"{label}: /readyz {ready:.1f} s and a new event processed {processed:.1f} s "
        f"after the restart; RSS {worker.rss_bytes() / 2**20:.0f} MiB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--logins", type=int, default=5)
    parser.add_argument("--partitions", type=int, default=8)
    args = parser.parse_args()
    bootstrap = os.environ.get("HS_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    folder = Path(tempfile.mkdtemp(prefix="hs-recovery-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HS_")}
    env.update(
        HS_KAFKA_BOOTSTRAP=bootstrap,
        HS_TOPIC_PREFIX=prefix,
        HS_APP_ID=prefix.rstrip(".") + "-app",
        HS_DATA_DIR=str(folder / "state"),
        HS_PARTITIONS=str(args.partitions),
        HS_LOG_LEVEL="WARNING",
    )
    worker = BenchWorker(env, folder / "worker.log")
    try:
        worker.start()
        time.sleep(2)
        print(f"idle worker: RSS {worker.rss_bytes() / 2**20:.0f} MiB")
        started = time.monotonic()
        events = asyncio.run(load(bootstrap, prefix, args.accounts, args.logins))
        produced = time.monotonic() - started
        while worker.processed("accepted") < events:
            time.sleep(1)
        took = time.monotonic() - started
        print(
            f"loaded {args.accounts} accounts ({events} events; produced in {produced:.0f} s, "
            f"processed in {took:.0f} s, {events / took:.0f} events/s)"
        )
        time.sleep(5)  # let the last changelog writes and the commit settle
        rss = worker.rss_bytes() / 2**20
        state = sum(f.stat().st_size for f in (folder / "state").rglob("*") if f.is_file())
        print(
            f"after the load: RSS {rss:.0f} MiB ({rss / args.accounts * 100_000:.0f} MiB per "
            f"100k accounts incl. the idle worker); RocksDB folder {state / 2**20:.0f} MiB"
        )
        restart_and_time(worker, bootstrap, prefix, "kill -9, restart on its RocksDB folder")
        worker.stop(kill=True)
        shutil.rmtree(folder / "state")
        restart_and_time(worker, bootstrap, prefix, "kill -9, restart on an empty folder")
    finally:
        worker.stop()
        print(f"(worker log and state in {folder}; remove when done)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
