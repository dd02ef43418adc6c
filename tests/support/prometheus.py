"""A real Prometheus server and promtool for the tests (Debian's package:
`make prometheus-tools`).

    with running_prometheus(folder, [rules_file], ["127.0.0.1:8080"]) as server:
        server.query('up{job="healthscore"}')

The server scrapes its targets and evaluates its rules every second, listens
on loopback only, and is stopped when the block ends.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.servers import free_port


def tool(name: str) -> str:
    """The path of a Prometheus tool; the test fails, never skips, without it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` not found: run `make prometheus-tools` (Debian package prometheus)")
    return path


def promtool_check_metrics(exposition: str) -> str:
    """What `promtool check metrics` finds wrong with `exposition` (empty: nothing)."""
    checked = subprocess.run(
        [tool("promtool"), "check", "metrics"],
        input=exposition,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return "" if checked.returncode == 0 else checked.stdout + checked.stderr


@dataclass
class Prometheus:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def query_range(self, expr: str, start: float, end: float) -> list[dict[str, Any]]:
        params = {"query": expr, "start": start, "end": end, "step": 1}
        return self._api("query_range", params)

    def query(self, expr: str) -> list[dict[str, Any]]:
        return self._api("query", {"query": expr})

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"prometheus exited:\n{self.log_path.read_text()}")
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def _api(self, endpoint: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.url}/api/v1/{endpoint}", params=params, timeout=10).json()
        assert answer["status"] == "success", f"{params['query']}: {answer}"
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result


@contextmanager
def running_prometheus(
    folder: Path, rule_files: list[Path], targets: list[str], job: str = "healthscore"
) -> Iterator[Prometheus]:
    """Prometheus with its data in `folder`, scraping `targets` as `job`, ready."""
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [{"job_name": job, "static_configs": [{"targets": targets}]}],
    }
    config_path = folder / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config))
    port = free_port()
    log_path = folder / "prometheus.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                tool("prometheus"),
                f"--config.file={config_path}",
                f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Prometheus(f"http://127.0.0.1:{port}", process, log_path)
    try:
        wait(server.ready, 30, f"Prometheus not ready:\n{log_path.read_text()}")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait(condition: Callable[[], object], within: float, message: str) -> None:
    """Return once `condition()` is true; TimeoutError after `within` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(message)
        time.sleep(0.3)
