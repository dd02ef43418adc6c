"""`make run`: workers, the gateway, the demo producer and the live view, on the local Kafka
and PostgreSQL.

The gateway (http://127.0.0.1:6067, deploy/local/gateway-demo.yaml) gets signing
secrets generated for this run, in its environment and the demo's only, never
printed; the demo sends its renewals and tickets through it as Stripe and
Zendesk webhooks (`healthscore demo --gateway`) and the rest to Kafka directly.

Ctrl-C stops everything it started: the workers, the gateway, the demo and, with
--stop-kafka / --stop-postgres (which `make run` passes when it started them),
the local Kafka broker and PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from streams.cli.top import run_top

LOGS = Path(".local/logs")
BASE_PORT = 6066
GATEWAY_PORT = 6067  # the gateway's default (HS_GATEWAY_PORT); workers skip it
GATEWAY_URL = f"http://127.0.0.1:{GATEWAY_PORT}"
GATEWAY_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "local" / "gateway-demo.yaml"
SECRET_VARIABLES = ("HS_GATEWAY_STRIPE_SECRET", "HS_GATEWAY_ZENDESK_SECRET")
# Exit codes of a process still running or ended by Ctrl-C (the terminal sends
# SIGINT to all of them): any other means it stopped on its own, worth a line.
STOPPED_BY_US = (None, 0, 130, -signal.SIGINT, -signal.SIGTERM)


class Process(Protocol):
    """What is needed of a started process (subprocess.Popen)."""

    def poll(self) -> int | None: ...
    def send_signal(self, sig: int) -> None: ...
    def wait(self, timeout: float | None = None) -> int: ...
    def kill(self) -> None: ...


@dataclass(frozen=True)
class Launch:
    """One process `make run` starts: `healthscore ARGS` with `env`, logged to LOGS/NAME.log."""

    name: str
    args: list[str]
    env: dict[str, str]


def worker_port(index: int) -> int:
    """6066, then 6068 up: 6067 is the gateway's."""
    return BASE_PORT + index + (1 if BASE_PORT + index >= GATEWAY_PORT else 0)


def signing_secrets() -> dict[str, str]:
    """Fresh signing secrets of this run, shared by the gateway and the demo alone."""
    return {name: secrets.token_urlsafe(32) for name in SECRET_VARIABLES}


def workers(count: int, environ: Mapping[str, str]) -> list[Launch]:
    launches = []
    for index in range(count):
        port = worker_port(index)
        env = {
            **environ,
            "HS_WEB_PORT": str(port),
            "HS_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "HS_DATA_DIR": f".local/worker-{index}",
        }
        launches.append(Launch(f"worker-{index}", ["worker"], env))
    return launches


def gateway(environ: Mapping[str, str], vendor_secrets: Mapping[str, str]) -> Launch:
    env = {
        **environ,
        **vendor_secrets,
        "HS_GATEWAY_HOST": "127.0.0.1",
        "HS_GATEWAY_PORT": str(GATEWAY_PORT),
        "HS_GATEWAY_CONFIG": str(GATEWAY_CONFIG),
    }
    return Launch("gateway", ["gateway"], env)


def demo(accounts: int, environ: Mapping[str, str], vendor_secrets: Mapping[str, str]) -> Launch:
    args = ["demo", "--accounts", str(accounts), "--gateway", GATEWAY_URL]
    return Launch("demo", args, {**environ, **vendor_secrets})


def start(launch: Launch) -> Process:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"{launch.name}.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "streams", *launch.args],
        env=launch.env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_ready(url: str, process: Process, timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


def stop_all(processes: list[Process]) -> None:
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


@dataclass
class Runner:
    """Starts the launches, waits for them and stops them; the collaborators are
    passed in, so a test runs it with fake processes."""

    start: Callable[[Launch], Process] = start
    ready: Callable[[str, Process], bool] = wait_ready
    show: Callable[[str], int] = run_top
    settle: float = 2.0  # seconds the demo gets before the live view

    def run(self, args: argparse.Namespace, environ: Mapping[str, str]) -> int:
        vendor_secrets = signing_secrets()
        started: dict[str, Process] = {}
        try:
            for index, launch in enumerate(workers(args.workers, environ)):
                started[launch.name] = self.start(launch)
                port = worker_port(index)
                say(f"worker {index} on http://127.0.0.1:{port} ({_log(launch.name)})")
            started["gateway"] = self.start(gateway(environ, vendor_secrets))
            say(f"gateway on {GATEWAY_URL} ({_log('gateway')})")
            url = f"http://127.0.0.1:{BASE_PORT}"
            say("waiting for the worker and the gateway to be ready…")
            if not self.ready(url, started["worker-0"]):
                say(f"the worker did not become ready; see {_log('worker-0')}")
                return 1
            if not self.ready(GATEWAY_URL, started["gateway"]):
                say(f"the gateway did not become ready; see {_log('gateway')}")
                return 1
            started["demo"] = self.start(demo(args.accounts, environ, vendor_secrets))
            say(
                f"demo producer started ({_log('demo')}): renewals as Stripe events and tickets "
                "as Zendesk webhooks through the gateway, the rest to Kafka; live view follows"
            )
            time.sleep(self.settle)
            return self.show(url)
        except KeyboardInterrupt:
            return 0
        finally:
            # A second Ctrl-C must not cut the clean-up short.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            for name, process in started.items():
                code = process.poll()
                if code not in STOPPED_BY_US:
                    say(f"{name} had stopped on its own (exit code {code}); see {_log(name)}")
            say("stopping the workers, the gateway and the demo…")
            stop_all(list(started.values()))


def say(text: str) -> None:
    print(f"run: {text}", file=sys.stderr, flush=True)


def _log(name: str) -> str:
    return f"log {LOGS}/{name}.log"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--stop-kafka", action="store_true", help="stop local Kafka on exit")
    parser.add_argument(
        "--stop-postgres", action="store_true", help="stop the embedded PostgreSQL on exit"
    )
    args = parser.parse_args()
    try:
        return Runner().run(args, os.environ)
    finally:
        stop_servers(args.stop_kafka, args.stop_postgres)


if __name__ == "__main__":
    sys.exit(main())
