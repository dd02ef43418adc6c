"""Retry backoff, Retry-After parsing, the token bucket and redaction: pure parts of delivery."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sinks.exceptions import RetryableDeliveryError
from sinks.rate_limit import TokenBucket
from sinks.retry import RetryPolicy
from sinks.transport import Redactor, parse_retry_after


@given(st.integers(min_value=1, max_value=200), st.integers(min_value=0, max_value=2**32))
def test_backoff_is_full_jitter_under_the_exponential_ceiling(attempt: int, seed: int) -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=30)
    delay = policy.backoff(attempt, random.Random(seed))
    assert 0 <= delay <= min(30, 0.5 * 2 ** (attempt - 1))


def test_retry_after_wins_over_backoff_but_is_capped() -> None:
    policy = RetryPolicy(max_retry_after=120)
    rng = random.Random(0)
    assert policy.delay_after(RetryableDeliveryError("s", "429", 429, 7.0), 1, rng) == 7.0
    assert policy.delay_after(RetryableDeliveryError("s", "429", 429, 9999.0), 1, rng) == 120


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert (
        parse_retry_after(format_datetime(datetime(2025, 3, 1, 12, 1, tzinfo=UTC), True), now) == 60
    )
    assert (
        parse_retry_after(format_datetime(datetime(2025, 3, 1, 11, 0, tzinfo=UTC), True), now) == 0
    )
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


async def test_token_bucket_allows_a_burst_then_one_per_second() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=1.0, burst=3, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        await bucket.acquire()
    assert clock.waits == [pytest.approx(1.0), pytest.approx(1.0)]
    clock.now += 10
    for _ in range(3):
        await bucket.acquire()
    assert len(clock.waits) == 2  # refilled to the burst, not beyond


def test_redactor_hides_urls_their_paths_tokens_and_passwords() -> None:
    redact = Redactor(
        secrets=["whsec_abcdef"],
        secret_urls=["https://user:p4ssw0rd@hooks.example/services/T1/B2/tok?key=qu3ry"],
    )
    text = (
        "POST https://user:p4ssw0rd@hooks.example/services/T1/B2/tok?key=qu3ry failed; "
        "path /services/T1/B2/tok; key=qu3ry; pw p4ssw0rd; secret whsec_abcdef"
    )
    cleaned = redact(text)
    for secret in ("p4ssw0rd", "/services/T1/B2/tok", "key=qu3ry", "whsec_abcdef"):
        assert secret not in cleaned
