"""The gateway's one Kafka producer: connecting, producing with a bounded wait, probing.

The producer is `streams.kafka_client.new_producer`'s: acks=all and
idempotent, so a send is acknowledged only once every in-sync replica has it.
A request is answered 2xx only after each of its messages was acknowledged;
anything else (not connected yet, a send failed, no acknowledgement within
HS_GATEWAY_PRODUCE_TIMEOUT_SECONDS) is `KafkaUnavailable`, a 503.

The gateway starts whether or not Kafka is reachable, answering 503 until it
is: a background task creates the missing topics and starts the producer,
retrying with backoff. Once a send has failed, each request first asks the
brokers for metadata (at most one question a second, shared by all requests),
so that while Kafka is down requests fail at once rather than each waiting
out the timeout, and the first answer brings the gateway back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from gateway.deadlines import Deadlines
from gateway.messages import Message
from gateway.rejections import KafkaUnavailable
from models.exceptions import HealthscoreError
from streams.kafka_client import new_producer
from streams.settings import Settings
from streams.topics import TopicsNotReadyError, ensure_topics

log = logging.getLogger(__name__)

# Between attempts to connect: doubling from the first to the last.
CONNECT_BACKOFF = (0.5, 5.0)
PROBE_EVERY_SECONDS = 1.0
PROBE_TIMEOUT_SECONDS = 5.0


class Link(Protocol):
    """What the HTTP service needs of Kafka (tests pass a fake)."""

    def unready_reason(self) -> str | None:
        """Why the gateway cannot take events now, or None (no I/O: for /metrics)."""
        ...

    async def check(self) -> str | None:
        """`unready_reason`, after asking the brokers again if the last send failed."""
        ...

    async def produce(self, messages: Sequence[Message]) -> None:
        """Return once Kafka acknowledged every message; raise KafkaUnavailable otherwise."""
        ...


class KafkaLink:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.timeout = settings.gateway_produce_timeout_seconds
        self.producer: AIOKafkaProducer | None = None
        # False once a send failed, until a send or a metadata request succeeds.
        self.healthy = False
        # Set when connecting met a problem no retry fixes (e.g. partition counts).
        self.fatal: asyncio.Future[HealthscoreError] | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._probe_lock = asyncio.Lock()
        self._probed_at = float("-inf")
        self._deadlines = Deadlines()

    def start(self) -> None:
        """Connect in the background; requests get 503 until connected."""
        self.fatal = asyncio.get_running_loop().create_future()
        self._connecting = asyncio.create_task(self._connect(), name="gateway-kafka-connect")

    async def _connect(self) -> None:
        delay, most = CONNECT_BACKOFF
        warned = False
        while True:
            producer = None
            try:
                await ensure_topics(self.settings)
                producer = new_producer(self.settings)
                await producer.start()
            except (KafkaError, OSError, TimeoutError, TopicsNotReadyError) as exc:
                if producer is not None:
                    await producer.stop()
                if not warned:
                    log.warning(
                        "Kafka at %s not reachable (%s); answering 503 and retrying",
                        self.settings.kafka_bootstrap,
                        type(exc).__name__,
                    )
                    warned = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, most)
                continue
            except HealthscoreError as exc:  # e.g. PartitionCountError: a setting to fix
                assert self.fatal is not None
                self.fatal.set_result(exc)
                return
            except Exception:  # unforeseen: keep trying rather than answer 503 forever
                if producer is not None:
                    await producer.stop()
                log.exception("connecting to Kafka failed; retrying")
                await asyncio.sleep(most)
                continue
            self.producer = producer
            self.healthy = True
            log.info("connected to Kafka at %s", self.settings.kafka_bootstrap)
            return

    def unready_reason(self) -> str | None:
        if self.producer is None:
            return "not connected to Kafka yet"
        if not self.healthy:
            return "Kafka did not acknowledge the last send"
        return None

    async def check(self) -> str | None:
        if self.producer is not None and not self.healthy:
            await self._probe(self.producer)
        return self.unready_reason()

    async def _probe(self, producer: AIOKafkaProducer) -> None:
        """Ask the brokers for metadata, at most once a second whoever asks."""
        async with self._probe_lock:
            if self.healthy or time.monotonic() - self._probed_at < PROBE_EVERY_SECONDS:
                return
            try:
                await asyncio.wait_for(
                    producer.client.fetch_all_metadata(),
                    min(self.timeout, PROBE_TIMEOUT_SECONDS),
                )
            except (KafkaError, OSError, TimeoutError):
                pass
            else:
                self.healthy = True
                log.info("Kafka at %s answers again", self.settings.kafka_bootstrap)
            finally:
                self._probed_at = time.monotonic()

    async def produce(self, messages: Sequence[Message]) -> None:
        producer = self.producer
        if producer is None:
            raise KafkaUnavailable("not connected to Kafka yet")
        if not self.healthy:
            await self._probe(producer)
            if not self.healthy:
                raise KafkaUnavailable("Kafka is unreachable")
        acknowledgements: list[asyncio.Future[object]] = []
        # The task is cancelled at the deadline, in send() or waiting (gateway.deadlines).
        deadline = self._deadlines.start(self.timeout)
        try:
            try:
                # send() itself waits while the topic's metadata or buffer space is missing.
                for message in messages:
                    acknowledgements.append(
                        await producer.send(
                            self.settings.topic(message.topic), value=message.value, key=message.key
                        )
                    )
                # Our own future, not aiokafka's: cancelling theirs would not unsend anything.
                await _every_one(acknowledgements)
            except asyncio.CancelledError:
                if self._deadlines.end(deadline):
                    raise TimeoutError from None
                raise
            finally:
                self._deadlines.end(deadline)
            for acknowledgement in acknowledgements:
                if acknowledgement.exception() is not None:
                    raise acknowledgement.exception()  # type: ignore[misc]
        except (KafkaError, TimeoutError) as exc:
            for acknowledgement in acknowledgements:  # a late failure is not "never retrieved"
                acknowledgement.add_done_callback(_retrieve)
            if self.healthy:
                log.warning("Kafka did not acknowledge a request's events: %r", exc)
            self.healthy = False
            raise KafkaUnavailable(
                f"Kafka did not acknowledge the events within {self.timeout:g} s"
                if isinstance(exc, TimeoutError)
                else f"Kafka refused the events ({type(exc).__name__})"
            ) from exc
        self.healthy = True

    async def stop(self) -> None:
        """Stop connecting, and flush and close the producer."""
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
            await asyncio.gather(self._connecting, return_exceptions=True)
        if self.producer is not None:
            producer, self.producer = self.producer, None
            try:
                await asyncio.wait_for(producer.stop(), self.timeout + PROBE_TIMEOUT_SECONDS)
            except TimeoutError:
                # Only messages of requests already answered 503 can still be waiting.
                log.warning("Kafka producer did not flush in time; stopped anyway")


def _every_one(futures: Sequence[asyncio.Future[object]]) -> asyncio.Future[None]:
    """A future done once every one of `futures` is (cancelling it leaves them be)."""
    everything: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    waiting = len(futures)

    def one_done(_: asyncio.Future[object]) -> None:
        nonlocal waiting
        waiting -= 1
        if waiting == 0 and not everything.done():
            everything.set_result(None)

    if waiting == 0:
        everything.set_result(None)
    for future in futures:
        future.add_done_callback(one_done)
    return everything


def _retrieve(future: asyncio.Future[object]) -> None:
    if not future.cancelled():
        future.exception()
