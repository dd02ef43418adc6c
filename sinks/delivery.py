"""Delivering one alert event to its sinks: retries, de-duplication and recording.

`SinkDelivery.to_sink` is the one place that decides what happens around a
sink's `send`, and `deliver` applies it to every sink of one alert:

1. the alert is recorded (idempotently) so it can be re-sent later;
2. each sink that already delivered this `event_id` is skipped, so a worker
   that restarts between firing and delivery does not notify twice;
3. each remaining sink is tried until it accepts, fails permanently, or runs
   out of attempts (`RetryPolicy`); every attempt is recorded and counted.

A delivery that finally fails stays recorded as failed, to be re-sent by
`sinks.resend.resend_failed`. Errors of the recorder itself propagate: the
caller retries the ones that pass (`sinks.lanes`), and a retried delivery
skips the sinks that already delivered.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from prometheus_client import Counter

from models.alerting.event import AlertEvent
from sinks.base import AlertSink
from sinks.exceptions import DeliveryError, PermanentDeliveryError, RetryableDeliveryError
from sinks.retry import RetryPolicy

log = logging.getLogger(__name__)

# Retry jitter needs no generator of its own per alert: seeding one from
# os.urandom costs ~14 µs, for every alert delivered.
_JITTER = random.Random()


class DeliveryOutcome(StrEnum):
    DELIVERED = "delivered"
    RETRYING = "retrying"  # this attempt failed, another will follow
    FAILED = "failed"  # final: rejected, or out of attempts; kept for resend


@dataclass(frozen=True)
class DeliveryAttempt:
    event_id: str
    sink: str
    attempt: int
    outcome: DeliveryOutcome
    at: datetime
    http_status: int | None = None
    error: str | None = None


class DeliveryRecorder(Protocol):
    """Where delivery history lives (PostgreSQL in production, memory in tests)."""

    async def record_alert(self, alert: AlertEvent) -> None:
        """Called first by every `deliver`; recording the same event_id again changes nothing."""
        ...

    async def is_delivered(self, event_id: str, sink: str) -> bool:
        """Whether `sink` already accepted this alert event (checked before sending)."""
        ...

    async def record_attempt(self, alert: AlertEvent, attempt: DeliveryAttempt) -> None:
        """Called after every attempt, whatever its outcome."""
        ...


@dataclass
class InMemoryRecorder:
    """A `DeliveryRecorder` in a dict, for tests (a worker with sinks requires PostgreSQL)."""

    alerts: dict[str, AlertEvent] = field(default_factory=dict)
    attempts: list[DeliveryAttempt] = field(default_factory=list)

    async def record_alert(self, alert: AlertEvent) -> None:
        self.alerts.setdefault(alert.event_id, alert)

    async def is_delivered(self, event_id: str, sink: str) -> bool:
        return any(
            a.event_id == event_id and a.sink == sink and a.outcome is DeliveryOutcome.DELIVERED
            for a in self.attempts
        )

    async def record_attempt(self, alert: AlertEvent, attempt: DeliveryAttempt) -> None:
        self.attempts.append(attempt)

    def final_outcomes(self) -> dict[tuple[str, str], DeliveryOutcome]:
        """The latest outcome per (event_id, sink); delivered is final."""
        final: dict[tuple[str, str], DeliveryOutcome] = {}
        for attempt in self.attempts:
            key = (attempt.event_id, attempt.sink)
            if final.get(key) is not DeliveryOutcome.DELIVERED:
                final[key] = attempt.outcome
        return final


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SinkDelivery:
    """Delivers alerts to one sink at a time, with `policy`'s retries; records every attempt.

    `counter` is `healthscore_alert_deliveries_total{kind,severity,sink,outcome}`,
    incremented once per attempt. `sleep` waits between attempts: whatever it
    raises ends the delivery there, unrecorded (a worker giving up its
    partitions interrupts the wait this way).
    """

    recorder: DeliveryRecorder
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    counter: Counter | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    rng: random.Random = _JITTER
    clock: Callable[[], datetime] = _utcnow

    async def to_sink(self, alert: AlertEvent, sink: AlertSink) -> DeliveryOutcome:
        """The final outcome of delivering `alert` to `sink`; DELIVERED at once if it was before.

        Errors of the recorder propagate; the alert itself must be recorded first.
        """
        if await self.recorder.is_delivered(alert.event_id, sink.name):
            return DeliveryOutcome.DELIVERED
        for number in range(1, self.policy.max_attempts + 1):
            try:
                await sink.send(alert)
            except RetryableDeliveryError as error:
                if number == self.policy.max_attempts:
                    await self._record(alert, sink, number, DeliveryOutcome.FAILED, error)
                    return DeliveryOutcome.FAILED
                await self._record(alert, sink, number, DeliveryOutcome.RETRYING, error)
                await self.sleep(self.policy.delay_after(error, number, self.rng))
            except PermanentDeliveryError as error:
                await self._record(alert, sink, number, DeliveryOutcome.FAILED, error)
                return DeliveryOutcome.FAILED
            except Exception as error:
                # A sink bug must not lose the alert: record it as failed, to resend.
                # Only the type is kept: an unexpected message could carry a secret.
                log.error("%s sink raised %s", sink.name, type(error).__name__)
                unexpected = DeliveryError(sink.name, f"unexpected {type(error).__name__}")
                await self._record(alert, sink, number, DeliveryOutcome.FAILED, unexpected)
                return DeliveryOutcome.FAILED
            else:
                await self._record(alert, sink, number, DeliveryOutcome.DELIVERED, None)
                return DeliveryOutcome.DELIVERED
        raise AssertionError("unreachable: the last attempt always returns")

    async def _record(
        self,
        alert: AlertEvent,
        sink: AlertSink,
        number: int,
        outcome: DeliveryOutcome,
        error: DeliveryError | None,
    ) -> None:
        attempt = DeliveryAttempt(
            event_id=alert.event_id,
            sink=sink.name,
            attempt=number,
            outcome=outcome,
            at=self.clock(),
            http_status=error.status if error else None,
            error=str(error) if error else None,
        )
        if outcome is not DeliveryOutcome.DELIVERED:
            log.warning("alert %s to %s: %s (attempt %d)", alert.event_id, sink.name, error, number)
        await self.recorder.record_attempt(alert, attempt)
        if self.counter is not None:
            self.counter.labels(
                kind=alert.kind.value,
                severity=alert.severity.value,
                sink=sink.name,
                outcome=outcome.value,
            ).inc()


async def deliver(
    alert: AlertEvent,
    sinks: Sequence[AlertSink],
    recorder: DeliveryRecorder,
    *,
    policy: RetryPolicy | None = None,
    counter: Counter | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rng: random.Random | None = None,
    clock: Callable[[], datetime] = _utcnow,
) -> dict[str, DeliveryOutcome]:
    """Deliver `alert` to every sink in `sinks` (concurrently); return each sink's final outcome.

    `counter` is `healthscore_alert_deliveries_total{kind,severity,sink,outcome}`,
    incremented once per attempt. A sink that had already delivered this event
    is reported as delivered without sending again.
    """
    delivery = SinkDelivery(
        recorder=recorder,
        policy=policy or RetryPolicy(),
        counter=counter,
        sleep=sleep,
        rng=rng or _JITTER,
        clock=clock,
    )
    await recorder.record_alert(alert)
    outcomes = await asyncio.gather(*(delivery.to_sink(alert, sink) for sink in sinks))
    return {sink.name: outcome for sink, outcome in zip(sinks, outcomes, strict=True)}
