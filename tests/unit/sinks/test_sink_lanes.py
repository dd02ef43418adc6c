"""Sinks deliver from lanes of their own: order per account, no sink waits on another."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg

from models.alerting.event import AlertEvent, AlertKind, AlertStatus, Severity
from models.health import Band
from sinks.delivery import DeliveryOutcome, InMemoryRecorder, SinkDelivery
from sinks.exceptions import RetryableDeliveryError
from sinks.lanes import DeliveryJob, SinkLanes
from sinks.postgres_faults import is_transient
from sinks.retry import RetryPolicy

DEADLINE = 30.0  # generous: every wait below is expected to end in well under a second


def alert(account: str, status: AlertStatus = AlertStatus.FIRING) -> AlertEvent:
    return AlertEvent.model_validate(
        {
            "event_id": f"{account}:band_entered:1:{status.value}:0",
            "dedup_key": f"{account}:band_entered",
            "account_id": account,
            "kind": AlertKind.BAND_ENTERED,
            "status": status,
            "severity": Severity.CRITICAL,
            "score": 30.0,
            "band": Band.CRITICAL if status is AlertStatus.FIRING else Band.HEALTHY,
            "episode_started_at": "2025-03-01T09:15:00+00:00",
            "at": "2025-03-01T09:30:00+00:00",
            "model_version": "test",
            "summary": f"{account} is critical",
        }
    )


class RecordingSink:
    """Accepts every alert, taking `slow` seconds over a trigger and none over a resolve."""

    def __init__(self, name: str, slow: float = 0.0) -> None:
        self.name = name
        self.slow = slow
        self.received: list[AlertEvent] = []
        self.sending = 0
        self.most_at_once = 0

    async def send(self, alert: AlertEvent) -> None:
        self.sending += 1
        self.most_at_once = max(self.most_at_once, self.sending)
        try:
            if alert.status is AlertStatus.FIRING:
                await asyncio.sleep(self.slow)
            self.received.append(alert)
        finally:
            self.sending -= 1


class RateLimitedSink:
    """Answers every attempt like a receiver saying 429 with `Retry-After: 120`."""

    def __init__(self, name: str = "slack") -> None:
        self.name = name
        self.attempts = 0

    async def send(self, alert: AlertEvent) -> None:
        self.attempts += 1
        raise RetryableDeliveryError(self.name, "HTTP 429: rate_limited", 429, retry_after=120.0)


class Finished:
    """Collects `DeliveryJob.done` calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None]] = []

    def job(self, alert: AlertEvent, abandoned: Callable[[], bool] = lambda: False) -> DeliveryJob:
        async def done(sink: str, problem: str | None) -> None:
            self.calls.append((sink, alert.event_id, problem))

        return DeliveryJob(alert, done, abandoned)

    def of(self, sink: str) -> list[tuple[str, str, str | None]]:
        return [call for call in self.calls if call[0] == sink]


async def until(check: Callable[[], bool]) -> None:
    async with asyncio.timeout(DEADLINE):
        while not check():  # noqa: ASYNC110 - the checks read plain attributes
            await asyncio.sleep(0.01)


async def test_each_sink_gets_an_account_s_trigger_before_its_resolve() -> None:
    # Triggers are slow and resolves instant: a resolve taking another lane would overtake.
    sinks = {"slack": RecordingSink("slack", slow=0.05), "webhook": RecordingSink("webhook", 0.02)}
    finished = Finished()
    accounts = [f"acct-{n}" for n in range(24)]
    async with SinkLanes(
        sinks, SinkDelivery(InMemoryRecorder()), is_transient=is_transient, concurrency=4
    ) as lanes:
        for account in accounts:
            for status in (AlertStatus.FIRING, AlertStatus.RESOLVED):
                for name in sinks:
                    await lanes.put(name, finished.job(alert(account, status)))
        await until(lambda: len(finished.calls) == 2 * 2 * len(accounts))

    for sink in sinks.values():
        order = [(a.account_id, a.status) for a in sink.received]
        for account in accounts:
            assert order.index((account, AlertStatus.FIRING)) < order.index(
                (account, AlertStatus.RESOLVED)
            ), (sink.name, account)
        # Different accounts did go at once, never more than the lanes.
        assert 1 < sink.most_at_once <= 4


async def test_a_sink_waiting_out_retry_after_holds_up_no_other_sink() -> None:
    slack, pagerduty = RateLimitedSink("slack"), RecordingSink("pagerduty")
    finished = Finished()
    given_up = False
    alerts = [alert(f"acct-{n}") for n in range(30)]
    async with SinkLanes(
        {"slack": slack, "pagerduty": pagerduty},
        SinkDelivery(InMemoryRecorder(), policy=RetryPolicy(max_attempts=6)),
        is_transient=is_transient,
        concurrency=4,
    ) as lanes:
        for each in alerts:
            for name in ("slack", "pagerduty"):
                await lanes.put(name, finished.job(each, lambda: given_up))
        await until(lambda: len(finished.of("pagerduty")) == len(alerts))

        assert sorted(a.event_id for a in pagerduty.received) == sorted(a.event_id for a in alerts)
        assert finished.of("slack") == []
        assert slack.attempts <= 4  # one per lane, each now waiting out its 120 s
        assert lanes.queued() == len(alerts) - slack.attempts

        # Giving the jobs up (a rebalance) ends the waits at once, not in 120 s.
        given_up = True
        async with asyncio.timeout(DEADLINE):
            await lanes.abandon()
        assert lanes.queued() == 0
    assert finished.of("slack") == []


async def test_a_full_lane_makes_put_wait_until_the_sink_takes_more() -> None:
    gate = asyncio.Event()

    class GatedSink:
        name = "webhook"

        async def send(self, alert: AlertEvent) -> None:
            await gate.wait()

    finished = Finished()
    async with SinkLanes(
        {"webhook": GatedSink()},
        SinkDelivery(InMemoryRecorder()),
        is_transient=is_transient,
        concurrency=1,
        queue_size=2,
    ) as lanes:
        for n in range(3):  # one sending, two queued
            await lanes.put("webhook", finished.job(alert(f"acct-{n}")))
        blocked = asyncio.create_task(lanes.put("webhook", finished.job(alert("acct-3"))))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not blocked.done()
        gate.set()
        async with asyncio.timeout(DEADLINE):
            await blocked
        await until(lambda: len(finished.calls) == 4)


class FlakyRecorder(InMemoryRecorder):
    """Fails recording attempts with the given errors first, then records."""

    def __init__(self, *errors: Exception) -> None:
        super().__init__()
        self.errors = list(errors)

    async def record_attempt(self, alert, attempt):  # type: ignore[no-untyped-def]
        if self.errors:
            raise self.errors.pop(0)
        await super().record_attempt(alert, attempt)


async def test_a_recorder_outage_is_retried_without_sending_twice() -> None:
    sink = RecordingSink("webhook")
    recorder = FlakyRecorder(asyncpg.exceptions.ConnectionDoesNotExistError("connection lost"))
    finished = Finished()
    async with SinkLanes(
        {"webhook": sink}, SinkDelivery(recorder), is_transient=is_transient
    ) as lanes:
        await lanes.put("webhook", finished.job(alert("acct-1")))
        await until(lambda: len(finished.calls) == 1)
    assert finished.calls == [("webhook", "acct-1:band_entered:1:firing:0", None)]
    assert recorder.final_outcomes() == {
        ("acct-1:band_entered:1:firing:0", "webhook"): DeliveryOutcome.DELIVERED
    }
    # The first send was accepted but not recorded, so it went once more: at-least-once.
    assert len(sink.received) == 2


async def test_a_recorder_refusing_the_data_ends_the_job_with_the_reason() -> None:
    refusal = asyncpg.exceptions.CharacterNotInRepertoireError(
        'invalid byte sequence for encoding "UTF8": 0x00'
    )
    finished = Finished()
    async with SinkLanes(
        {"webhook": RecordingSink("webhook")},
        SinkDelivery(FlakyRecorder(refusal)),
        is_transient=is_transient,
    ) as lanes:
        await lanes.put("webhook", finished.job(alert("acct-1")))
        await until(lambda: len(finished.calls) == 1)
    [(sink, _, problem)] = finished.calls
    assert sink == "webhook"
    assert problem is not None
    assert "CharacterNotInRepertoireError" in problem and "0x00" in problem
