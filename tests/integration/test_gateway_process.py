"""`healthscore gateway` as operators run it: a process configured by HS_* variables that
stops on SIGTERM without losing a request it accepted, and never logs its token."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import pytest

from tests.support.gateway import own_login, read_everything
from tests.support.servers import ROOT, free_port

pytestmark = pytest.mark.integration

REQUESTS = 30
EVENTS_PER_REQUEST = 200


def start_gateway(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """`healthscore gateway` in a process of its own, its output in `log_path`."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "streams", "gateway"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


async def test_sigterm_finishes_accepted_requests_and_every_202_is_on_the_topic(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    token = "process-token-" + uuid.uuid4().hex
    prefix = f"gp{uuid.uuid4().hex[:10]}."
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HS_")}
    env.update(
        HS_KAFKA_BOOTSTRAP=kafka_bootstrap,
        HS_TOPIC_PREFIX=prefix,
        HS_PARTITIONS="4",
        HS_GATEWAY_PORT=str(port),
        HS_GATEWAY_TOKEN=token,
        HS_LOG_LEVEL="DEBUG",  # whatever is logged, the token is not
    )
    log_path = tmp_path / "gateway.log"
    process = start_gateway(env, log_path)
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    at = datetime.now(UTC) - timedelta(minutes=1)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            deadline = asyncio.get_running_loop().time() + 60
            while True:
                assert process.poll() is None, log_path.read_text()
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert asyncio.get_running_loop().time() < deadline, log_path.read_text()
                await asyncio.sleep(0.2)

            async def send(n: int) -> tuple[int, httpx.Response | Exception]:
                batch = [
                    own_login(f"r{n}-e{k}", f"acct-{n % 7}", at) for k in range(EVENTS_PER_REQUEST)
                ]
                try:
                    return n, await client.post("/v1/events/logins", json=batch, headers=headers)
                except httpx.TransportError as exc:  # sent after the listener closed
                    return n, exc

            sending = [asyncio.create_task(send(n)) for n in range(REQUESTS)]
            # Stopped as soon as the first answer is in: the others are on their way.
            await asyncio.wait(sending, return_when=asyncio.FIRST_COMPLETED)
            process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            answers = await asyncio.gather(*sending)
            code = await asyncio.to_thread(process.wait, 30)
            stopping = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    text = log_path.read_text(errors="replace")
    assert code == 0, text
    # The requests in flight finished, rather than hanging until the grace period ran out.
    assert stopping < 8, f"took {stopping:.1f} s to stop"
    assert "gateway stopping" in text and "gateway stopped" in text
    assert token not in text
    accepted = {n for n, answer in answers if isinstance(answer, httpx.Response)
                and answer.status_code == 202}  # fmt: skip
    assert accepted, answers
    statuses = {a.status_code for _, a in answers if isinstance(a, httpx.Response)}
    assert statuses == {202}, statuses
    found = await read_everything(kafka_bootstrap, prefix + "logins")
    on_topic = {event["event_id"] for r in found for event in orjson.loads(r.value or b"[]")}
    for n in accepted:
        missing = {f"r{n}-e{k}" for k in range(EVENTS_PER_REQUEST)} - on_topic
        assert not missing, f"request {n} was answered 202 but {len(missing)} events are lost"
