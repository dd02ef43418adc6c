"""Sending a consumed record an agent gives up on to `health.dlq`, confirmed by the broker.

An agent acknowledges its batch once its body returns, and acknowledged
offsets may be committed at any moment after: so `send` returns only once
the broker has the dead letter, and keeps trying while the broker is away.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import faust
from aiokafka.errors import KafkaError
from faust.types import EventT
from prometheus_client import Counter

from models.validation import Rejection
from streams.dead_letters import dead_letter_headers, header_pairs

log = logging.getLogger(__name__)

RETRY_MAX_SECONDS = 30.0
LOGGED_DETAIL = 300


class DeadLetterSender:
    """Dead letters for the records one agent consumes from the topic named `source`."""

    def __init__(self, topic: faust.TopicT, counter: Counter, source: str) -> None:
        """`topic`: the DLQ with raw key and value serializers; `counter`:
        healthscore_dlq_messages_total, labelled here by `source` and reason."""
        self.topic = topic
        self.counter = counter
        self.source = source

    async def send(self, event: EventT[Any], rejection: Rejection) -> None:
        """The record's key and headers as consumed and `rejection.value` (its value),
        plus the hs.error.* and hs.source.* headers; returns once the broker has it."""
        message = event.message
        headers = dead_letter_headers(
            header_pairs(message.headers),
            rejection,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
        )
        delay = 0.5
        while True:
            try:
                sent = await self.topic.send(
                    key=message.key, value=rejection.value, headers=headers, force=True
                )
                await sent
                break
            except KafkaError as exc:
                log.warning(
                    "dead letter for %s[%d]@%d not sent (%s); retrying in %.1f s",
                    message.topic,
                    message.partition,
                    message.offset,
                    type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
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
