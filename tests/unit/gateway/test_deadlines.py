"""One timer for many same-length deadlines behaves as asyncio.timeout for each."""

from __future__ import annotations

import asyncio
import time

import pytest

from gateway.deadlines import Deadlines


async def wait(deadlines: Deadlines, seconds: float, patience: float) -> str:
    deadline = deadlines.start(patience)
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        if deadlines.end(deadline):
            raise TimeoutError from None
        raise
    finally:
        deadlines.end(deadline)
    return "done"


async def test_waits_past_their_deadline_time_out_and_the_others_finish() -> None:
    deadlines = Deadlines()
    quick = [asyncio.create_task(wait(deadlines, 0.0, 0.05)) for _ in range(3)]
    slow = [asyncio.create_task(wait(deadlines, 5, 0.05)) for _ in range(3)]
    assert [await task for task in quick] == ["done"] * 3
    for task in slow:
        with pytest.raises(TimeoutError):
            await task
    # Started after the others expired: a timer of its own again.
    assert await wait(deadlines, 0.0, 0.05) == "done"
    with pytest.raises(TimeoutError):
        await wait(deadlines, 5, 0.05)
    assert not deadlines._running and deadlines._timer is None


async def test_a_cancellation_from_elsewhere_stays_a_cancellation() -> None:
    deadlines = Deadlines()
    task = asyncio.create_task(wait(deadlines, 5, 5))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_deadlines_that_ended_are_let_go() -> None:
    deadlines = Deadlines()
    for _ in range(100):
        await wait(deadlines, 0, 5)
    assert len(deadlines._running) <= 1


async def test_a_shorter_deadline_than_those_set_expires_on_time() -> None:
    deadlines = Deadlines()
    long = asyncio.create_task(wait(deadlines, 0.3, 10))
    await asyncio.sleep(0)
    began = time.monotonic()
    with pytest.raises(TimeoutError):
        await wait(deadlines, 5, 0.01)
    assert time.monotonic() - began < 0.25  # not with the 10 s one, nor the 5 s sleep
    assert await long == "done"
