"""What the workers of a bench run answer and log: accounts, read offsets, readiness, reports."""

from __future__ import annotations

import httpx

from bench.worker_process import BenchWorker

READ_OFFSET = "healthscore_faust_topic_partition_read_offset"


def state_versions(workers: list[BenchWorker], segment: str) -> dict[str, int]:
    """The highest state_version any worker answers with, per account of `segment`."""
    found: dict[str, int] = {}
    for worker in workers:
        try:
            reply = httpx.get(
                f"{worker.url}/accounts", params={"segment": segment, "limit": 1000}, timeout=5
            )
        except httpx.HTTPError:
            continue
        if reply.status_code != 200:
            continue
        for health in reply.json()["accounts"]:
            version = health.get("state_version") or 0
            found[health["account_id"]] = max(found.get(health["account_id"], 0), version)
    return found


def read_offsets(worker: BenchWorker) -> dict[tuple[str, int], float]:
    """The last offset the worker read of each partition (faust's read-offset gauge)."""
    try:
        text = httpx.get(f"{worker.url}/metrics", timeout=5).text
    except httpx.HTTPError:
        return {}
    found: dict[tuple[str, int], float] = {}
    for line in text.splitlines():
        if line.startswith(READ_OFFSET):
            labels, value = line[len(READ_OFFSET) :].rsplit(" ", 1)
            parts = dict(p.split("=", 1) for p in labels.strip("{}").split(","))
            found[(parts["topic"].strip('"'), int(parts["partition"].strip('"')))] = float(value)
    return found


def stall_reasons(workers: list[BenchWorker]) -> set[str]:
    """The stall reasons `/readyz` gives now, per worker ("w0: input partition …")."""
    reasons = set()
    for index, worker in enumerate(workers):
        try:
            reply = httpx.get(f"{worker.url}/readyz", timeout=2)
        except httpx.HTTPError:
            continue
        reason = reply.json().get("reason") if reply.status_code == 503 else None
        if reason and ("not fetched" in reason or "none processed" in reason):
            reasons.add(f"w{index}: {reason.split(' for ')[0]}")
    return reasons


def member_of(workers: list[BenchWorker], member_id: str | None) -> str:
    """Which worker a group member id is, from the workers' logs."""
    if member_id is None:
        return "nobody"
    for index, worker in enumerate(workers):
        if member_id in worker.log_path.read_text(errors="replace"):
            return f"w{index}"
    return member_id


def fetch_watch_reports(workers: list[BenchWorker]) -> list[str]:
    """The fetch watch's reports in the workers' logs."""
    lines = []
    for index, worker in enumerate(workers):
        for line in worker.log_path.read_text(errors="replace").splitlines():
            if "streams.engine.fetch_watch" in line:
                lines.append(f"w{index}: {line.split(': ', 1)[-1]}")
    return lines
