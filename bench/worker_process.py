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

    def processed(self, outcome: str | None = None) -> float:
        """Input events this worker has counted: all outcomes, or only `outcome`."""
        text = httpx.get(f"{self.url}/metrics", timeout=5).text
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("healthscore_events_total{")
            and (outcome is None or f'outcome="{outcome}"' in line)
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
    """Poll until the workers together processed `expected` events, timed from `started`
    (when they were ready: the input is loaded beforehand, so work starts at once)."""
    deadline = time.perf_counter() + timeout
    cpu_before = sum(w.cpu_seconds() for w in workers)
    done = 0.0
    while time.perf_counter() < deadline:
        done = sum(w.processed() for w in workers)
        if done >= expected:
            break
        time.sleep(0.05)
    else:
        raise TimeoutError(f"processed {done} of {expected} events in {timeout} s")
    elapsed = time.perf_counter() - started
    cpu = sum(w.cpu_seconds() for w in workers) - cpu_before
    return {
        "events": done,
        "seconds": elapsed,
        "events_per_second": done / elapsed if elapsed else 0.0,
        "cpu_seconds_per_million_events": cpu / done * 1e6 if done else 0.0,
        "peak_rss_bytes": max(w.peak_rss_bytes() for w in workers),
    }
