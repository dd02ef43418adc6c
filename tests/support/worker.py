"""Run real `healthscore worker` processes against the test broker and database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.support.kafka_io import produce
from tests.support.servers import free_port


@dataclass
class WorkerProcess:
    env: dict[str, str]
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    _log: Any = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 90.0) -> WorkerProcess:
        self.launch()
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()  # a fixture that fails to start has no teardown to stop it
            raise
        return self

    def launch(self) -> None:
        """Start the process without waiting for it to be ready."""
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streams", "worker"],
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"worker not ready after {timeout} s:\n{self.tail()}")

    def tail(self, lines: int = 60) -> str:
        text = self.log_path.read_bytes().decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no final commit, no producer flush."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


def worker_env(
    bootstrap: str, dsn: str | None, workdir: Path, prefix: str | None = None, **extra: str
) -> dict[str, str]:
    """Environment for an isolated worker: its own topic prefix, group and state folder."""
    prefix = prefix or f"t{uuid.uuid4().hex[:10]}."
    env = {k: v for k, v in os.environ.items() if not k.startswith("HS_")}
    env.update(
        HS_KAFKA_BOOTSTRAP=bootstrap,
        HS_TOPIC_PREFIX=prefix,
        HS_APP_ID=prefix.rstrip(".") + "-app",
        HS_DATA_DIR=str(workdir / "state"),
        HS_PARTITIONS="4",
        HS_RESCORE_INTERVAL_SECONDS="2",
    )
    if dsn:
        env["HS_PG_DSN"] = dsn
    env.update(extra)
    return env


def new_worker(env: dict[str, str], workdir: Path) -> WorkerProcess:
    port = free_port()
    env = {**env, "HS_WEB_PORT": str(port), "HS_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    workdir.mkdir(parents=True, exist_ok=True)
    return WorkerProcess(env=env, port=port, log_path=workdir / f"worker-{port}.log")


@contextmanager
def running_worker(env: dict[str, str], workdir: Path) -> Iterator[WorkerProcess]:
    """A started worker (`new_worker`), stopped on the way out."""
    process = new_worker(env, workdir)
    try:
        process.start()
        yield process
    finally:
        process.stop()


async def send_batches(
    bootstrap: str, worker: WorkerProcess, per_topic: dict[str, list[dict[str, Any]]]
) -> None:
    """To the worker's input topics: per topic (profiles first), one batch message (a JSON
    array) per account."""
    prefix = worker.env["HS_TOPIC_PREFIX"]
    for topic in sorted(per_topic, key=lambda name: name != "accounts"):
        by_account: dict[str, list[dict[str, Any]]] = {}
        for event in per_topic[topic]:
            by_account.setdefault(event["account_id"], []).append(event)
        messages = [(a.encode(), orjson.dumps(batch)) for a, batch in by_account.items()]
        await produce(bootstrap, prefix + topic, messages)


async def wait_until(
    check: Callable[[], Awaitable[bool]], what: str, worker: WorkerProcess, within: float = 90
) -> None:
    """Poll `check` until it holds; past `within` seconds, fail with the worker's log."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}; worker log:\n{worker.tail(40)}")
        await asyncio.sleep(0.5)
