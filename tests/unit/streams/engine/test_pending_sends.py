"""A batch's offsets become committable only after the broker has every write of the batch."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from streams.engine.acks import PendingSends
from streams.topology.pipeline import output_lost


@dataclass
class Released:
    offsets: list[int] = field(default_factory=list)

    def __call__(self, messages: Sequence[Any]) -> None:
        self.offsets.extend(message.offset for message in messages)


@dataclass
class Message:
    offset: int


def batch(*offsets: int) -> list[Any]:
    return [Message(offset) for offset in offsets]


async def test_messages_are_released_only_after_every_send_of_their_batch_settles() -> None:
    released = Released()
    pending = PendingSends(released)
    changelog, score = asyncio.get_running_loop().create_future(), asyncio.Future[None]()
    pending.add(changelog)
    pending.add(score)
    await pending.release_when_settled(batch(1, 2))
    await asyncio.sleep(0)
    assert released.offsets == [], "nothing may be committed while writes are in flight"

    changelog.set_result(None)
    await asyncio.sleep(0)
    assert released.offsets == []
    score.set_result(None)
    for _ in range(3):
        await asyncio.sleep(0)
    assert released.offsets == [1, 2]


async def test_a_failed_send_stops_the_agent_and_its_batch_is_never_released() -> None:
    released = Released()
    failures: list[Exception] = []
    pending = PendingSends(released, on_failure=failures.append)
    first = batch(1)
    failed = asyncio.get_running_loop().create_future()
    pending.add(failed)
    await pending.release_when_settled(first)
    failed.set_exception(RuntimeError("broker said no"))
    await asyncio.sleep(0.01)

    with pytest.raises(RuntimeError, match="broker said no"):
        await pending.release_when_settled(batch(2))
    assert 1 not in released.offsets
    assert [str(exc) for exc in failures] == ["broker said no"], "the pipeline is told"


async def test_at_most_depth_batches_wait_for_the_broker() -> None:
    pending = PendingSends(Released(), depth=1)
    slow = asyncio.get_running_loop().create_future()
    pending.add(slow)
    await pending.release_when_settled(batch(1))

    pending.add(asyncio.get_running_loop().create_future())
    blocked = asyncio.ensure_future(pending.release_when_settled(batch(2)))
    await asyncio.sleep(0.01)
    assert not blocked.done(), "a second batch in flight must wait for the first"
    slow.set_result(None)
    await asyncio.wait_for(blocked, timeout=1)


async def test_outputs_the_broker_refused_mark_the_pipeline_failed_and_stop_the_worker() -> None:
    crashed: list[BaseException] = []

    async def crash(exc: BaseException) -> None:
        crashed.append(exc)

    pipeline: Any = SimpleNamespace(app=SimpleNamespace(crash=crash), failed=None, stopping=None)
    refused = RuntimeError("MessageSizeTooLargeError")
    output_lost(pipeline, refused)
    await pipeline.stopping
    assert pipeline.failed is refused and crashed == [refused]
