"""Batch envelopes (JSON arrays of events) cut to fit one Kafka message.

Used by every producer of the project: `healthscore produce`, the gateway and
the benchmarks. An envelope holds at most MAX_BATCH_EVENTS events and
`limit` bytes (models.validation.MAX_MESSAGE_BYTES by default, what the
worker accepts in one message); events keep their order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import orjson

from models.events import MAX_BATCH_EVENTS
from models.exceptions import HealthscoreError
from models.validation import MAX_MESSAGE_BYTES

__all__ = ["EnvelopeError", "split_batch", "split_encoded"]


class EnvelopeError(HealthscoreError):
    """An event too large for any envelope, or input that cannot be enveloped."""


def split_batch(
    events: list[object], where: str, limit: int = MAX_MESSAGE_BYTES
) -> Iterator[bytes]:
    """Batch envelopes of `events` in order, each at most `limit` bytes and
    MAX_BATCH_EVENTS events (events re-encoded as compact JSON)."""
    return split_encoded((orjson.dumps(event) for event in events), where, limit)


def split_encoded(
    encoded: Iterable[bytes], where: str, limit: int = MAX_MESSAGE_BYTES
) -> Iterator[bytes]:
    """`split_batch` of events already encoded as compact JSON, one per item."""
    chunk: list[bytes] = []
    size = 2  # the brackets
    for index, event in enumerate(encoded):
        if len(event) + 2 > limit:
            raise EnvelopeError(
                f"{where}: event {index} is {len(event):,} bytes, over the "
                f"{limit:,}-byte message limit; no split can carry it"
            )
        grown = size + len(event) + (1 if chunk else 0)
        if chunk and (grown > limit or len(chunk) >= MAX_BATCH_EVENTS):
            yield b"[" + b",".join(chunk) + b"]"
            chunk, size = [], 2
            grown = size + len(event)
        chunk.append(event)
        size = grown
    if chunk:
        yield b"[" + b",".join(chunk) + b"]"
