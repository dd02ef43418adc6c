"""`make run`: workers, the demo producer and the live view, on the local Kafka and PostgreSQL.

Ctrl-C stops everything it started: the workers, the demo and, with
--stop-kafka / --stop-postgres (which `make run` passes when it started them),
the local Kafka broker and PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from streams.cli.top import run_top

LOGS = Path(".local/logs")
BASE_PORT = 6066


def start(name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"{name}.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "streams", *args], env=env, stdout=log, stderr=subprocess.STDOUT
    )


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def stop_servers(kafka: bool, postgres: bool) -> None:
    if kafka:
        subprocess.run(["deploy/local/kafka.sh", "stop"], check=False)
    if postgres:
        subprocess.run([sys.executable, "deploy/local/localpg.py", "stop"], check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--stop-kafka", action="store_true", help="stop local Kafka on exit")
    parser.add_argument(
        "--stop-postgres", action="store_true", help="stop the embedded PostgreSQL on exit"
    )
    args = parser.parse_args()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for index in range(args.workers):
            port = BASE_PORT + index
            env = {
                **os.environ,
                "HS_WEB_PORT": str(port),
                "HS_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "HS_DATA_DIR": f".local/worker-{index}",
            }
            processes.append(start(f"worker-{index}", ["worker"], env))
            print(
                f"run: worker {index} on http://127.0.0.1:{port} (log {LOGS}/worker-{index}.log)",
                file=sys.stderr,
            )
        url = f"http://127.0.0.1:{BASE_PORT}"
        print("run: waiting for the worker to be ready…", file=sys.stderr)
        if not wait_ready(url, processes[0]):
            print(f"run: the worker did not become ready; see {LOGS}/worker-0.log", file=sys.stderr)
            return 1
        processes.append(
            start("demo", ["demo", "--accounts", str(args.accounts)], dict(os.environ))
        )
        print(
            f"run: demo producer started (log {LOGS}/demo.log); live view follows", file=sys.stderr
        )
        time.sleep(2)
        return run_top(url)
    except KeyboardInterrupt:
        return 0
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("\nrun: stopping workers and the demo…", file=sys.stderr)
        stop_all(processes)
        stop_servers(args.stop_kafka, args.stop_postgres)


if __name__ == "__main__":
    sys.exit(main())
