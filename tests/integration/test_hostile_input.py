"""10,000 malformed and hostile messages amid valid traffic: all dead-lettered, nothing breaks."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from models.model_config import load_model
from models.validation import parse_message
from tests.support.kafka_io import read_until
from tests.support.truth import (
    Message,
    Traffic,
    expected_states,
    state_differences,
    wait_for_states,
    workload,
)
from tests.support.worker import new_worker, worker_env

pytestmark = pytest.mark.integration

HOSTILE = 10_000


def hostile_messages(count: int, seed: int = 3) -> list[tuple[str, Message]]:
    """`count` (topic, message) pairs, each of which must yield exactly one DLQ record."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    at = (now - timedelta(days=1)).isoformat()

    def login(**fields: object) -> bytes:
        event: dict[str, object] = {
            "event_id": f"h{rng.random()}",
            "account_id": "evil",
            "occurred_at": at,
            "user_id": "u1",
        }
        event.update(fields)
        return orjson.dumps(event)

    makers: list[Callable[[], tuple[str, bytes]]] = [
        lambda: ("logins", b"{not json"),
        lambda: ("logins", b'{"event_id": "\xff\xfe", "account_id": "evil"}'),  # bad UTF-8
        lambda: ("logins", b"\xc3\x28" * 50),
        lambda: ("tickets", b"[" * 5000 + b"]" * 5000),  # deeper than any parser allows
        lambda: ("nps", b'{"a":' * 3000 + b"1" + b"}" * 3000),
        lambda: ("logins", login(user_id=12345)),  # wrong type
        lambda: ("logins", login(occurred_at=17)),
        lambda: ("nps", login(score="ten", respondent_id="r")),
        lambda: ("nps", login(score=1e308, respondent_id="r")),
        lambda: ("logins", login(event_id="")),
        lambda: ("logins", login(occurred_at=(now + timedelta(days=3)).isoformat())),
        lambda: ("logins", login(occurred_at=(now - timedelta(days=400)).isoformat())),
        lambda: ("logins", login(account_id="someone-else")),  # key mismatch
        lambda: ("accounts", orjson.dumps({"name": None})),
        lambda: ("renewals", b"null"),
        lambda: ("renewals", b'"a string"'),
        lambda: ("tickets", b"42"),
        lambda: ("tickets", b"[]"),  # empty batch
        lambda: ("logins", b"[" + login(event_id="good") + b"," + login(user_id=[1]) + b"]"),
        lambda: ("logins", b"\x00" * 1000),
    ]
    # Big ones a few times only: the broker and this 2-core box have other work to do.
    big: list[Callable[[], tuple[str, bytes]]] = [
        lambda: ("logins", login(user_id="x" * 200_000)),  # a huge value
        lambda: ("logins", b'"' + b"y" * (9 * 1024 * 1024) + b'"'),  # over the 8 MiB limit
        lambda: ("logins", b"[" + b",".join([login()] * 10_001) + b"]"),  # batch too large
    ]
    out = []
    for n in range(count):
        maker = big[n // 3 % len(big)] if n < 9 else makers[n % len(makers)]
        topic, value = maker()
        out.append((topic, (b"evil", value)))
    rng.shuffle(out)
    return out


def rejections_of(messages: list[tuple[str, Message]]) -> int:
    model = load_model(None)
    now = datetime.now(UTC)
    max_age = timedelta(days=model.longest_window_days)
    return sum(
        len(parse_message(topic, key, value, now, max_age).rejections)
        for topic, (key, value) in messages
    )


async def send_mixed(
    bootstrap: str, prefix: str, valid: Traffic, hostile: list[tuple[str, Message]]
) -> None:
    """Valid traffic interleaved with the hostile messages, every topic's order kept."""
    stream: list[tuple[str, Message]] = list(hostile)
    rng = random.Random(9)
    for topic in sorted(valid.by_topic, key=lambda name: name != "accounts"):
        for message in valid.by_topic[topic]:
            stream.insert(rng.randrange(len(stream) + 1), (topic, message))
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, max_request_size=10 * 1024 * 1024, linger_ms=20
    )
    await producer.start()
    try:
        sent = [
            await producer.send(prefix + topic, value=value, key=key)
            for topic, (key, value) in stream
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def test_hostile_messages_all_reach_the_dlq_and_break_nothing(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    hostile = hostile_messages(HOSTILE)
    # Every hostile message yields exactly one rejection (the workers' own validation says).
    assert rejections_of(hostile) == HOSTILE
    valid = workload("calm", accounts=100, logins_per_account=10)
    env = worker_env(kafka_bootstrap, None, tmp_path)
    worker = new_worker(env, tmp_path)
    prefix = env["HS_TOPIC_PREFIX"]
    try:
        await asyncio.to_thread(worker.start)
        pid = worker.pid
        await send_mixed(kafka_bootstrap, prefix, valid, hostile)

        dlq = await read_until(
            kafka_bootstrap, prefix + "health.dlq", lambda r: len(r) >= HOSTILE, within=120
        )
        await asyncio.sleep(2)
        dlq = await read_until(
            kafka_bootstrap, prefix + "health.dlq", lambda r: len(r) >= HOSTILE, within=30
        )
        assert len(dlq) == HOSTILE
        sources = {
            (h[b"hs.source.topic"], int(h[b"hs.source.offset"]))
            for h in ({k.encode(): v for k, v in r.headers} for r in dlq)
        }
        assert len(sources) == HOSTILE  # one record per hostile message, none twice
        reasons = {dict(r.headers)["hs.error.reason"] for r in dlq}
        assert b"processing_error" not in reasons, reasons

        # The valid events are all there, the good one of the "one bad of two" batches too.
        hostile_traffic = Traffic()
        for topic, message in hostile:
            hostile_traffic.by_topic.setdefault(topic, []).append(message)
        expected = expected_states([valid, hostile_traffic], load_model(None))
        assert "evil" in expected
        found = await wait_for_states(kafka_bootstrap, env, expected, within=60)
        assert not state_differences(found, expected), state_differences(found, expected)

        assert worker.alive() and worker.pid == pid
        log = worker.log_path.read_text(errors="replace")
        assert "Crashed" not in log and "Traceback" not in log, worker.tail()
    finally:
        await asyncio.to_thread(worker.stop)
