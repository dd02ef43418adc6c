"""`make bench` works: a tiny run of every measurement (no figure is judged here)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_harness_measures_everything_it_reports(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HS_")}
    env["HS_KAFKA_BOOTSTRAP"] = kafka_bootstrap
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(out.read_text())
    for run in (
        "raw_single",
        "raw_batch",
        "pipeline_single",
        "pipeline_batch",
        "pipeline_batch_2_workers",
    ):
        assert figures[run]["events_per_second"] > 0, run
    assert figures["faust_single"]["messages_per_second"] > 0
    assert figures["latency"]["scores"]["count"] > 0
    assert figures["latency"]["alerts"]["count"] > 0
    assert 0 < figures["latency"]["worker"]["cpu_seconds_per_second"] < 4
    assert figures["recovery"]["recovery_seconds"] > 0
    assert figures["recovery"]["restart_in_place_seconds"] > 0
    assert set(figures["ratios"]) == {
        "single_vs_faust_ceiling",
        "single_vs_raw_loop",
        "batch_vs_raw_loop",
        "two_workers_vs_one",
    }
    assert "event → alert" in done.stdout
    left = asyncio.run(topics_left(kafka_bootstrap, figures["topics"]))
    assert left == [], "the run deletes its topics: repeated runs would fill the disk"


async def topics_left(bootstrap: str, prefix: str, within: float = 15) -> list[str]:
    """The topics named `prefix`…, once none is left or `within` seconds have passed
    (a deletion reaches the broker's metadata a moment after it is accepted)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            names = sorted(n for n in await admin.list_topics() if n.startswith(prefix))
            if not names or asyncio.get_running_loop().time() > deadline:
                return names
            await asyncio.sleep(0.5)
    finally:
        await admin.close()
