"""`healthscore produce TOPIC FILE.jsonl`: send events to an input topic, keyed by account."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson

from models.exceptions import HealthscoreError
from streams.kafka_client import new_producer
from streams.settings import Settings
from streams.topics import INPUT_TOPICS, ensure_topics


class ProduceError(HealthscoreError):
    """The input file or topic cannot be produced."""


def _account_of(line: bytes, where: str) -> str:
    try:
        document = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ProduceError(f"{where}: not JSON ({exc})") from None
    first = document[0] if isinstance(document, list) and document else document
    if not isinstance(first, dict) or not isinstance(first.get("account_id"), str):
        raise ProduceError(f"{where}: no account_id to key the message by")
    return str(first["account_id"])


def read_messages(path: Path) -> Iterator[tuple[bytes, bytes]]:
    """(key, value) per non-empty line; a line may be one event or a batch array."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            line = line.strip()
            if line:
                yield _account_of(line, f"{path}:{number}").encode(), line


async def send_all(settings: Settings, topic: str, messages: Iterable[tuple[bytes, bytes]]) -> int:
    """Send (key, value) pairs to the prefixed `topic`; return how many were acknowledged."""
    await ensure_topics(settings)
    producer = new_producer(settings)
    await producer.start()
    sent = 0
    try:
        pending = []
        for key, value in messages:
            pending.append(await producer.send(settings.topic(topic), value=value, key=key))
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                sent += len(pending)
                pending.clear()
                print(f"\r{sent} messages sent", end="", file=sys.stderr)
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
