"""A slow alert receiver slows its own agent only: scoring runs ahead, every alert arrives once.

(A slow or absent PostgreSQL is covered by test_faults' 30 s outage.)
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiohttp import web

from models.model_config import load_model
from tests.integration.conftest import fast_alert_model
from tests.integration.sink_receiver import Receiver
from tests.integration.test_scale_out import assert_each_episode_once, firing_accounts
from tests.support.cluster import send_traffic
from tests.support.truth import (
    expected_states,
    state_differences,
    wait_all_processed,
    wait_for_states,
    workload,
)
from tests.support.worker import new_worker, worker_env

pytestmark = pytest.mark.integration

SLOWNESS = 0.7


class SlowReceiver(Receiver):
    """Takes `SLOWNESS` seconds over every request."""

    async def _handle(self, request: web.Request) -> web.Response:
        await asyncio.sleep(SLOWNESS)
        return await super()._handle(request)


async def test_a_slow_alert_receiver_never_slows_scoring(
    kafka_bootstrap: str, pg_dsn: str, tmp_path: Path
) -> None:
    receiver = SlowReceiver()
    await receiver.start()
    env = worker_env(
        kafka_bootstrap,
        pg_dsn,
        tmp_path,
        HS_MODEL=str(fast_alert_model(tmp_path)),
        HS_WEBHOOK_URL=f"{receiver.url}/hook",
        HS_WEBHOOK_SECRET="slow-test-secret",
        # One delivery at a time: the slowest the receiver can make the delivery agent.
        HS_SINK_CONCURRENCY="1",
    )
    worker = new_worker(env, tmp_path)
    traffic = workload("slow", accounts=100, logins_per_account=8, sick_every=10)
    expected = expected_states([traffic], load_model(None))
    sick = {a for a in expected if int(a.rsplit("-", 1)[1]) % 10 == 0}
    try:
        await asyncio.to_thread(worker.start)
        started = time.monotonic()
        await send_traffic(kafka_bootstrap, env["HS_TOPIC_PREFIX"], traffic)
        await wait_all_processed(worker.url, traffic.count(), within=30)
        scored_in = time.monotonic() - started
        # Delivering the alerts takes at least len(sick) * SLOWNESS; scoring did not wait.
        assert scored_in < len(sick) * SLOWNESS, scored_in
        assert len(firing_accounts(receiver.requests)) < len(sick)
        # Rows reach the changelog at the next commit (every 5 s).
        found = await wait_for_states(kafka_bootstrap, env, expected, within=30)
        assert not state_differences(found, expected), state_differences(found, expected)

        deadline = time.monotonic() + 90
        while not sick <= firing_accounts(receiver.requests):
            assert time.monotonic() < deadline, sick - firing_accounts(receiver.requests)
            await asyncio.sleep(0.5)
        await asyncio.sleep(2 * SLOWNESS)
        assert_each_episode_once([r.json() for r in receiver.requests])
    finally:
        await asyncio.to_thread(worker.stop)
        await receiver.stop()
