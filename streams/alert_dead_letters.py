"""`health.alerts` records the delivery agent cannot use, sent to `health.dlq`.

Byte for byte (key, value, headers) plus the `hs.error.*` and `hs.source.*`
headers of `streams.dead_letters`, through a Faust topic with raw
serializers. `send` returns only once the broker has the record, so the
source message is acked after its dead letter is safe, never before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from faust.types import Message
from prometheus_client import Counter

from models.validation import Rejection
from sinks.postgres_errors import retry_delays
from streams.dead_letters import dead_letter_headers, header_pairs
from streams.topics import ALERTS

log = logging.getLogger(__name__)


class AlertDeadLetters:
    """Sends rejected `health.alerts` records to the dead-letter topic and counts them.

    `counter` is `healthscore_dlq_messages_total{topic,reason}`; `topic` a
    Faust topic of the DLQ's name with raw key and value serializers.
    """

    def __init__(
        self,
        topic: Any,
        counter: Counter,
        *,
        retry_waits: Callable[[], Iterator[float]] = lambda: retry_delays(longest=10.0),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._topic = topic
        self._counter = counter
        self._retry_waits = retry_waits
        self._sleep = sleep

    async def send(self, message: Message, rejection: Rejection) -> None:
        """Send `message` with `rejection`'s reason; retried until the broker acknowledges it.

        Every failure is retried: the source message must not be acked before
        its dead letter is written, and a worker that skipped it would lose it.
        """
        headers = dead_letter_headers(
            header_pairs(message.headers),
            rejection,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
        )
        waits = self._retry_waits()
        while True:
            try:
                sent = await self._topic.send(
                    key=message.key, value=message.value, headers=headers, force=True
                )
                await sent
                break
            except Exception as exc:
                wait = next(waits)
                log.error(
                    "dead-lettering %s[%d]@%d failed (%r); retrying in %.1f s",
                    message.topic,
                    message.partition,
                    message.offset,
                    exc,
                    wait,
                )
                await self._sleep(wait)
        self._counter.labels(ALERTS, rejection.reason.value).inc()
        log.error(
            "%s[%d]@%d set aside in the dead-letter topic (%s): %s",
            message.topic,
            message.partition,
            message.offset,
            rejection.reason.value,
            rejection.detail,
        )
