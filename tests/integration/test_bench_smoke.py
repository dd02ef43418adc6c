"""`make bench` works: a tiny run of every measurement (no figure is judged here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert figures["recovery"]["recovery_seconds"] > 0
    assert figures["recovery"]["restart_in_place_seconds"] > 0
    assert set(figures["ratios"]) == {
        "single_vs_faust_ceiling",
        "single_vs_raw_loop",
        "batch_vs_raw_loop",
        "two_workers_vs_one",
    }
    assert "event → alert" in done.stdout
