"""Workers share the population through health.population: each ranks against every
worker's accounts, and a worker that joins reads everyone's contributions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import yaml

from streams.topology.population_records import decode_contribution
from tests.support.cluster import cluster, stop_all
from tests.support.kafka_io import event_message, produce, read_until
from tests.support.model_variants import absolute_data
from tests.support.worker import WorkerProcess, worker_env

pytestmark = pytest.mark.integration


def ranking_model(folder: Path) -> Path:
    """The default model with only engagement.activity ranked in the population."""
    model = absolute_data()
    model["components"]["engagement"]["factors"]["activity"].update(
        weight=20, percentile_curve=[[0, 0], [1, 100]]
    )
    model["population"] = {"min_accounts": 3}
    model["version"] = f"{model['version']}-ranked"
    path = folder / "model.yaml"
    path.write_text(yaml.safe_dump(model))
    return path


def logins(account: str, days: int) -> list[tuple[bytes, bytes]]:
    now = datetime.now(UTC)
    return [
        event_message(
            {
                "event_id": f"{account}-{day}",
                "account_id": account,
                "user_id": "u1",
                "occurred_at": (now - timedelta(days=day, minutes=5)).isoformat(),
            }
        )
        for day in range(days)
    ]


async def wait_for(
    what: str | Callable[[], str],
    check: Any,
    workers: list[WorkerProcess],
    within: float = 90.0,
) -> None:
    """Wait until check() holds; `what` may be a callable, so the failure can say
    what was last observed."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"{said}\n" + "\n".join(w.tail(20) for w in workers))
        await asyncio.sleep(0.5)


async def gauge(worker: WorkerProcess, name: str) -> float:
    """The sum of a gauge's series on the worker's /metrics."""
    async with httpx.AsyncClient(timeout=10) as client:
        text = (await client.get(f"{worker.url}/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((f"{name} ", f"{name}{{"))
    )


async def readiness(worker: WorkerProcess) -> tuple[int, str]:
    """/readyz's status and body: why a worker is not keeping up, if it is not."""
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.get(f"{worker.url}/readyz")
    return answer.status_code, answer.text


async def population_size(worker: WorkerProcess) -> float:
    return await gauge(worker, "healthscore_population_accounts")


async def owned_accounts(worker: WorkerProcess) -> float:
    """Accounts this worker owns (its census over its partitions)."""
    return await gauge(worker, "healthscore_accounts")


async def test_an_account_scored_on_one_worker_is_in_the_population_of_the_other(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    env = worker_env(kafka_bootstrap, None, tmp_path, HS_MODEL=str(ranking_model(tmp_path)))
    prefix = env["HS_TOPIC_PREFIX"]
    first, second = cluster(env, tmp_path, 2)
    early = [f"early-{n}" for n in range(8)]
    late = [f"late-{n}" for n in range(16)]
    try:
        await asyncio.to_thread(first.start, 120.0)
        await produce(kafka_bootstrap, f"{prefix}logins", [m for a in early for m in logins(a, 3)])

        async def first_has_early() -> bool:
            return await population_size(first) == len(early)

        await wait_for("the first worker's population misses accounts", first_has_early, [first])

        # A worker that joins reads the compacted topic: everyone's latest contribution.
        await asyncio.to_thread(second.start, 120.0)

        async def second_has_early() -> bool:
            return await population_size(second) >= len(early)

        await wait_for(
            "the joining worker did not read the population", second_has_early, [first, second]
        )

        # New accounts land on both workers' partitions; each worker's population
        # holds them all, though it scored only its own.
        await produce(kafka_bootstrap, f"{prefix}logins", [m for a in late for m in logins(a, 10)])
        everyone = len(early) + len(late)

        seen: dict[str, list[Any]] = {}

        async def both_have_everyone() -> bool:
            seen["population"] = [await population_size(w) for w in (first, second)]
            seen["owned"] = [await owned_accounts(w) for w in (first, second)]
            seen["ready"] = [await readiness(w) for w in (first, second)]
            return seen["population"] == [everyone, everyone] and sum(seen["owned"]) == everyone

        await wait_for(
            lambda: f"the workers' populations did not converge ({everyone} accounts): {seen}",
            both_have_everyone,
            [first, second],
        )
        owned = [await owned_accounts(w) for w in (first, second)]
        assert all(0 < n < everyone for n in owned), f"each worker owns a share: {owned}"
    finally:
        await stop_all([first, second])

    # The topic holds each account's segment and activity bin, keyed by account.
    records = await read_until(
        kafka_bootstrap,
        f"{prefix}health.population",
        lambda rs: {r.key for r in rs} >= {a.encode() for a in early + late},
    )
    latest = {r.key.decode(): r.value for r in records if r.key is not None}
    for account, value in latest.items():
        assert value is not None, account
        contribution = decode_contribution(value)
        assert contribution is not None, orjson.loads(value)
        segment, bins = contribution
        assert segment == "" and [factor for factor, _ in bins] == ["engagement.activity"]
    early_bin = dict(decode_contribution(latest["early-0"])[1])  # type: ignore[index]
    late_bin = dict(decode_contribution(latest["late-0"])[1])  # type: ignore[index]
    assert early_bin["engagement.activity"] < late_bin["engagement.activity"], "3 vs 10 days"
