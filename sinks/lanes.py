"""Every sink delivers from queues of its own, so a slow sink never holds up another.

    put(job) ──▶ slack      [lane 0] [lane 1] [lane 2] [lane 3]    one task per lane
             ──▶ pagerduty  [lane 0] [lane 1] [lane 2] [lane 3]

A sink has `concurrency` lanes, each a bounded queue worked by one task. An
account's alerts always take the same lane of a sink (CRC-32 of the account
id), so each sink gets an account's trigger before its resolve while other
accounts go on in the other lanes. `put` waits while the lane is full: the
caller stops reading, and memory stays bounded.

A lane runs `SinkDelivery.to_sink`, the one retry policy for receivers, and
retries it while the recorder's error is transient (the retry skips a sink
that has delivered meanwhile); a recorder error about the data ends the job
with a problem to report. `DeliveryJob.done` is called once for every job
that ran to its end.

`abandon` ends the jobs whose owner gave them up: queued ones are dropped,
running ones are interrupted in their waits (retry backoff, `Retry-After`),
so a worker giving up its partitions does not wait out a 120 s
`Retry-After`. An attempt already sent is let finish and is recorded first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from types import TracebackType

from models.alerting.event import AlertEvent
from sinks.base import AlertSink
from sinks.delivery import SinkDelivery
from sinks.postgres_faults import retry_delays

log = logging.getLogger(__name__)


class Abandoned(Exception):
    """Raised from a lane's waits once its job is given up: the job ends unreported."""


def _never() -> bool:
    return False


@dataclass(frozen=True, eq=False)
class DeliveryJob:
    """One alert for one sink.

    `done(sink, problem)` is awaited once the sink delivered or finally failed
    the alert (recorded), with `problem` None; or, with `problem` saying what,
    once the recorder refused the delivery's data. `abandoned()` tells whether
    the owner gave the job up.
    """

    alert: AlertEvent
    done: Callable[[str, str | None], Awaitable[None]]
    abandoned: Callable[[], bool] = _never


class SinkLanes:
    """The lanes of every sink; use as `async with SinkLanes(...) as lanes:`."""

    def __init__(
        self,
        sinks: Mapping[str, AlertSink],
        delivery: SinkDelivery,
        *,
        is_transient: Callable[[BaseException], bool],
        concurrency: int = 4,
        queue_size: int = 256,
        on_transient: Callable[[], object] = lambda: None,
    ) -> None:
        if concurrency < 1 or queue_size < 1:
            raise ValueError("concurrency and queue_size must be at least 1")
        self._sinks = dict(sinks)
        self._delivery = delivery
        self._is_transient = is_transient
        self._on_transient = on_transient
        self._lanes: dict[str, list[asyncio.Queue[DeliveryJob]]] = {
            name: [asyncio.Queue(queue_size) for _ in range(concurrency)] for name in self._sinks
        }
        self._tasks: list[asyncio.Task[None]] = []
        self._running: set[DeliveryJob] = set()
        self._job_ended = asyncio.Condition()
        # Set (and replaced) by `abandon`, to cut short the waits of running jobs.
        self._wake = asyncio.Event()

    async def __aenter__(self) -> SinkLanes:
        for name, queues in self._lanes.items():
            for number, queue in enumerate(queues):
                task = asyncio.create_task(
                    self._work(self._sinks[name], queue), name=f"deliver-{name}-{number}"
                )
                self._tasks.append(task)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    @property
    def sink_names(self) -> frozenset[str]:
        return frozenset(self._sinks)

    async def put(self, sink: str, job: DeliveryJob) -> None:
        """Queue `job` on its account's lane of `sink`; waits while that lane is full."""
        queues = self._lanes[sink]
        lane = zlib.crc32(job.alert.account_id.encode()) % len(queues)
        await queues[lane].put(job)

    def queued(self) -> int:
        """Jobs waiting in all lanes (not counting the ones running)."""
        return sum(queue.qsize() for queues in self._lanes.values() for queue in queues)

    async def abandon(self) -> None:
        """Drop the queued jobs given up by their owners and interrupt the running ones;
        return once none of them runs any more."""
        for queues in self._lanes.values():
            for queue in queues:
                kept = []
                while not queue.empty():
                    job = queue.get_nowait()
                    if not job.abandoned():
                        kept.append(job)
                for job in kept:
                    queue.put_nowait(job)
        self._wake.set()
        self._wake = asyncio.Event()
        async with self._job_ended:
            await self._job_ended.wait_for(
                lambda: not any(job.abandoned() for job in self._running)
            )

    async def _work(self, sink: AlertSink, queue: asyncio.Queue[DeliveryJob]) -> None:
        while True:
            job = await queue.get()
            if job.abandoned():
                continue
            self._running.add(job)
            try:
                problem = await self._run(sink, job)
            except Abandoned:
                continue
            finally:
                self._running.discard(job)
                async with self._job_ended:
                    self._job_ended.notify_all()
            try:
                await job.done(sink.name, problem)
            except Exception:
                # The owner's bug; the lane goes on with the next job.
                log.exception("finishing alert %s for %s failed", job.alert.event_id, sink.name)

    async def _run(self, sink: AlertSink, job: DeliveryJob) -> str | None:
        """Deliver until the outcome is recorded; the recorder's complaint if it refused it."""
        delivery = replace(self._delivery, sleep=partial(self._wait, job))
        delays = retry_delays()
        while True:
            try:
                await delivery.to_sink(job.alert, sink)
                return None
            except Abandoned:
                raise
            except Exception as exc:
                if not self._is_transient(exc):
                    log.error(
                        "alert %s to %s: recording the delivery failed for good: %s: %s",
                        job.alert.event_id,
                        sink.name,
                        type(exc).__name__,
                        exc,
                    )
                    said = f"{type(exc).__name__}: {exc}"
                    return f"recording the delivery to {sink.name} failed: {said}"
                self._on_transient()
                delay = next(delays)
                log.warning(
                    "alert %s to %s: recording failed (%s); retrying in %.1f s",
                    job.alert.event_id,
                    sink.name,
                    type(exc).__name__,
                    delay,
                )
                await self._wait(job, delay)

    async def _wait(self, job: DeliveryJob, seconds: float) -> None:
        """Sleep `seconds`, unless the job is given up first: then raise `Abandoned`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not job.abandoned():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), remaining)
        raise Abandoned
