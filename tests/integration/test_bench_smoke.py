"""`make bench` works: a tiny run of every measurement (no figure is judged here)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

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
        "gateway_segment_batch_vs_ceiling",
        "gateway_segment_single_vs_ceiling",
        "gateway_own_event_vs_ceiling",
    }
    assert_gateway_figures(figures["gateway"])
    assert "event → alert" in done.stdout
    assert "gateway segment_batch / ceiling" in done.stdout
    left = asyncio.run(topics_left(kafka_bootstrap, figures["topics"]))
    assert left == [], "the run deletes its topics: repeated runs would fill the disk"


def test_the_gateway_benchmark_measures_the_gateway_and_its_ceiling(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    out = tmp_path / "gateway.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HS_")}
    env["HS_KAFKA_BOOTSTRAP"] = kafka_bootstrap
    done = subprocess.run(
        [sys.executable, "-m", "bench.gateway_load", "--smoke", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert_gateway_figures(figures)
    assert "gateway own_event / ceiling" in done.stdout
    left = asyncio.run(topics_left(kafka_bootstrap, figures["topics"]))
    assert left == [], "the run deletes its topics: repeated runs would fill the disk"


def assert_gateway_figures(figures: dict[str, Any]) -> None:
    """Each shape was served by both, every request answered 202 (the load
    generator stops at any other status), with the events the shape carries."""
    for shape, events in (("segment_batch", 100), ("segment_single", 1), ("own_event", 1)):
        assert figures[shape]["events_per_request"] == events, shape
        for server in ("gateway", "ceiling"):
            measured = figures[shape][server]
            assert measured["requests"] > 0, (shape, server)
            assert measured["events_per_second"] == pytest.approx(
                measured["requests_per_second"] * events
            ), (shape, server)
            # A smoke run can use less CPU than the clock's tick: 0 is possible.
            assert measured["cpu_seconds_per_request"] >= 0, (shape, server)
        assert figures[shape]["ratio"] > 0, shape


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
