"""`healthscore produce TOPIC FILE.jsonl`: send events to an input topic, keyed by account.

A line holding a batch envelope larger than the service accepts in one message
(models.validation.MAX_MESSAGE_BYTES) or with more than 10,000 events is split
into several batches, same key and in order; a single event larger than the
limit is an error, since no split can carry it.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson

from models.envelopes import split_batch
from models.events import MAX_BATCH_EVENTS
from models.exceptions import HealthscoreError
from models.validation import MAX_MESSAGE_BYTES
from streams.kafka_client import new_producer
from streams.settings import Settings
from streams.topics import INPUT_TOPICS, ensure_topics

PROGRESS_SECONDS = 1.0


class ProduceError(HealthscoreError):
    """The input file or topic cannot be produced."""


def _parse(line: bytes, where: str) -> object:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ProduceError(f"{where}: not JSON ({exc})") from None


def _account_of(document: object, where: str) -> str:
    first = document[0] if isinstance(document, list) and document else document
    if not isinstance(first, dict) or not isinstance(first.get("account_id"), str):
        raise ProduceError(f"{where}: no account_id to key the message by")
    return str(first["account_id"])


def messages_of_line(
    line: bytes, where: str, limit: int = MAX_MESSAGE_BYTES
) -> Iterator[tuple[bytes, bytes]]:
    """(key, value) for one line: the line itself when it fits, else its batch split."""
    document = _parse(line, where)
    key = _account_of(document, where).encode()
    if isinstance(document, list) and (len(line) > limit or len(document) > MAX_BATCH_EVENTS):
        for value in split_batch(document, where, limit):
            yield key, value
    elif len(line) > limit:
        raise ProduceError(
            f"{where}: event is {len(line):,} bytes, over the {limit:,}-byte message limit"
        )
    else:
        yield key, line


def read_messages(path: Path, limit: int = MAX_MESSAGE_BYTES) -> Iterator[tuple[bytes, bytes]]:
    """(key, value) per non-empty line; a line may be one event or a batch array,
    and a batch over `limit` bytes becomes several messages."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            line = line.strip()
            if line:
                yield from messages_of_line(line, f"{path}:{number}", limit)


async def send_all(settings: Settings, topic: str, messages: Iterable[tuple[bytes, bytes]]) -> int:
    """Send (key, value) pairs to the prefixed `topic`; return how many were acknowledged."""
    await ensure_topics(settings)
    producer = new_producer(settings)
    await producer.start()
    sent = 0
    sent_bytes = 0
    pending_bytes = 0
    shown = time.monotonic()
    try:
        pending = []
        for key, value in messages:
            pending.append(await producer.send(settings.topic(topic), value=value, key=key))
            pending_bytes += len(value)
            # Big batches fill the producer's buffer long before 5,000 messages do.
            if len(pending) >= 5000 or pending_bytes >= 64 * 1024 * 1024:
                await asyncio.gather(*pending)
                sent += len(pending)
                sent_bytes += pending_bytes
                pending.clear()
                pending_bytes = 0
            if time.monotonic() - shown >= PROGRESS_SECONDS:
                shown = time.monotonic()
                print(
                    f"\r{sent} messages ({sent_bytes / 1e6:.1f} MB) sent",
                    end="",
                    file=sys.stderr,
                )
        await asyncio.gather(*pending)
        sent += len(pending)
    finally:
        await producer.stop()
    return sent


def produce_file(settings: Settings, topic: str, file: str) -> int:
    if topic not in INPUT_TOPICS:
        raise ProduceError(f"unknown topic {topic!r}: choose one of {', '.join(INPUT_TOPICS)}")
    path = Path(file)
    if not path.is_file():
        raise ProduceError(f"{file}: no such file")
    sent = asyncio.run(send_all(settings, topic, read_messages(path)))
    print(f"\r{sent} messages sent to {settings.topic(topic)}", file=sys.stderr)
    return 0
