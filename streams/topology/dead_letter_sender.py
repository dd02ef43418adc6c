"""Sending a consumed record an agent gives up on to `health.dlq`, confirmed by the broker.

Byte for byte (key, value, headers) plus the `hs.error.*` and `hs.source.*`
headers of `streams.topology.dead_letters`, through a Faust topic with raw
serializers. An agent's offsets may be committed as soon as it is done with
a record, so `send` returns only once the broker has the dead letter, and
keeps trying, with a log line each time, until it does: an agent that went
on without it would lose the record.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from faust.types import Message
from prometheus_client import Counter

from models.validation import Rejection
from sinks.postgres_faults import retry_delays
from streams.topology.dead_letters import dead_letter_headers, header_pairs

log = logging.getLogger(__name__)

LOGGED_DETAIL = 300


class DeadLetterSender:
    """Dead letters for the records one agent consumes from the topic named `source`."""

    def __init__(
        self,
        topic: Any,
        counter: Counter,
        source: str,
        *,
        retry_waits: Callable[[], Iterator[float]] = lambda: retry_delays(longest=10.0),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """`topic`: the DLQ with raw key and value serializers; `counter`:
        healthscore_dlq_messages_total, labelled here by `source` and reason."""
        self.topic = topic
        self.counter = counter
        self.source = source
        self._retry_waits = retry_waits
        self._sleep = sleep

    async def send(self, message: Message, rejection: Rejection) -> None:
        """`message` as consumed, with `rejection`'s reason and detail; returns once
        the broker has it."""
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
                sent = await self.topic.send(
                    key=message.key, value=message.value, headers=headers, force=True
                )
                await sent
                break
            except Exception as exc:
                wait = next(waits)
                log.error(
                    "dead letter for %s[%d]@%d not sent (%s); retrying in %.1f s",
                    message.topic,
                    message.partition,
                    message.offset,
                    type(exc).__name__,
                    wait,
                )
                await self._sleep(wait)
        self.counter.labels(self.source, rejection.reason.value).inc()
        log.warning(
            "dead-lettered %s[%d]@%d key %s: %s: %s",
            message.topic,
            message.partition,
            message.offset,
            _show_key(message.key),
            rejection.reason.value,
            rejection.detail[:LOGGED_DETAIL],
        )


def _show_key(key: bytes | None) -> str:
    return "(none)" if key is None else repr(key[:128].decode("utf-8", "replace"))
