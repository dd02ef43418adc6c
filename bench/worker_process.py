"""Run `healthscore worker` processes for the benchmark and measure what they do."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def isolated_env(bootstrap: str, prefix: str, partitions: int, log_level: str) -> dict[str, str]:
    """This process's environment without any HS_ setting, plus a run of its own:
    topics under `prefix`, the consumer group `<prefix>-app`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HS_")}
    env.update(
        HS_KAFKA_BOOTSTRAP=bootstrap,
        HS_TOPIC_PREFIX=prefix,
        HS_APP_ID=prefix.rstrip(".") + "-app",
        HS_PARTITIONS=str(partitions),
        HS_LOG_LEVEL=log_level,
    )
    return env


@dataclass
class BenchWorker:
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def launch(self) -> None:
        """Start the process without waiting for it."""
        env = {**self.env, "HS_WEB_PORT": str(self.port), "HS_PUBLIC_URL": self.url}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "streams", "worker"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_for(self, path: str, timeout: float = 120.0) -> float:
        """Seconds until GET `path` answers 200."""
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"worker exited; see {self.log_path}")
            try:
                if httpx.get(f"{self.url}{path}", timeout=2).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{path} not answering in {timeout} s; see {self.log_path}")

    def start(self, timeout: float = 120.0) -> float:
        """Start and wait for /readyz; return the seconds that took."""
        started = time.perf_counter()
        self.launch()
        self.wait_for("/readyz", timeout)
        return time.perf_counter() - started

    def processed(self, outcome: str | None = None, new_only: bool = False) -> float:
        """Input events this worker has counted: all outcomes, or only `outcome`,
        or (`new_only`) all but the duplicates it re-read (0 while it is still starting)."""
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"worker exited; see {self.log_path}")
        try:
            text = httpx.get(f"{self.url}/metrics", timeout=5).text
        except httpx.HTTPError:
            return 0.0
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("healthscore_events_total{")
            and (outcome is None or f'outcome="{outcome}"' in line)
            and not (new_only and 'outcome="duplicate"' in line)
        )

    def cpu_seconds(self) -> float:
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def peak_rss_bytes(self) -> int:
        return self._status_bytes("VmHWM:")

    def rss_bytes(self) -> int:
        return self._status_bytes("VmRSS:")

    def _status_bytes(self, field: str) -> int:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) * 1024
        return 0

    def stop(self, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def wait_processed(
    workers: list[BenchWorker], expected: int, timeout: float, started: float
) -> dict[str, float]:
    """Poll until the workers together processed `expected` events, not counting
    the duplicates a worker re-reads after a rebalance: they are not new work,
    and they made a two-worker run stop before the last event and count more.

    The rate is measured like the plain-Faust ceiling's, from the first poll at
    which every worker has processed something (start-up, group join and the
    first rebalance left out) to the last event; with a load so small that it
    is done by then, from `started`.
    """
    deadline = time.perf_counter() + timeout
    window: tuple[float, float, float] | None = None  # (time, events, cpu) at its start
    done = 0.0
    while time.perf_counter() < deadline:
        counts = [w.processed(new_only=True) for w in workers]
        done = sum(counts)
        if done >= expected:
            break
        if window is None and all(counts):
            window = (time.perf_counter(), done, sum(w.cpu_seconds() for w in workers))
        # Each poll renders /metrics in the worker: often enough, but not a load of its own.
        time.sleep(0.25)
    else:
        raise TimeoutError(f"processed {done} of {expected} events in {timeout} s")
    ended = time.perf_counter()
    cpu = sum(w.cpu_seconds() for w in workers)
    since, before, cpu_before = window if window is not None else (started, 0.0, 0.0)
    elapsed, events = ended - since, done - before
    return {
        "events": done,
        "measured_events": events,
        "seconds": elapsed,
        "events_per_second": events / elapsed if elapsed else 0.0,
        "cpu_seconds_per_million_events": (cpu - cpu_before) / events * 1e6 if events else 0.0,
        "peak_rss_bytes": max(w.peak_rss_bytes() for w in workers),
    }
