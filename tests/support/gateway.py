"""A webhook source of the tests' own and a fake Kafka link, for the gateway's tests.

The real sources (Segment, Zendesk, Stripe, Typeform) are tested on their own;
the service's tests need only something that signs, maps and refuses like one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError

from gateway.messages import Message
from gateway.rejections import KafkaUnavailable
from gateway.source import Mapped, Outgoing, Unauthorized, Unmappable
from models.events import AccountProfile, LoginEvent

SIGNATURE = "X-Test-Signature"


def sign(body: bytes, secret: bytes) -> str:
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


class SignedSource:
    """`{"items": [...]}` signed with hex HMAC-SHA256 in X-Test-Signature.

    Items: `{"kind": "login", "id", "account", "user", "at"?}` → logins,
    `{"kind": "profile", "id", "account", "name"}` → accounts, `{"kind": "noise"}`
    is ignored, any other kind is unmappable.
    """

    def __init__(self, name: str = "acme", secret: bytes = b"acme-signing-secret") -> None:
        self._name = name
        self.secret = secret

    @property
    def name(self) -> str:
        return self._name

    def sign(self, body: bytes) -> str:
        return sign(body, self.secret)

    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> None:
        given = headers.get(SIGNATURE)
        if not given:
            raise Unauthorized(f"no {SIGNATURE} header")
        if not hmac.compare_digest(given.encode(), sign(body, self.secret).encode()):
            raise Unauthorized(f"{SIGNATURE} does not match the body")

    def map(self, document: object, received_at: datetime) -> Mapped:
        if not isinstance(document, dict) or not isinstance(document.get("items"), list):
            raise Unmappable('expected an object with an "items" array')
        events: list[Outgoing] = []
        ignored = 0
        for index, item in enumerate(document["items"]):
            try:
                kind = item["kind"]
                if kind == "noise":
                    ignored += 1
                elif kind == "login":
                    login = LoginEvent(
                        event_id=f"acme-{item['id']}",
                        account_id=item["account"],
                        occurred_at=item.get("at", received_at),
                        user_id=item["user"],
                    )
                    events.append(Outgoing("logins", login))
                elif kind == "profile":
                    profile = AccountProfile(
                        event_id=f"acme-{item['id']}",
                        account_id=item["account"],
                        occurred_at=received_at,
                        name=item["name"],
                    )
                    events.append(Outgoing("accounts", profile))
                else:
                    raise Unmappable(f"items[{index}].kind: unknown kind {kind!r}")
            except (KeyError, TypeError) as exc:
                raise Unmappable(f"items[{index}]: missing {exc}") from None
            except ValidationError as exc:
                raise Unmappable(f"items[{index}]: {exc.error_count()} invalid fields") from None
        return Mapped(tuple(events), ignored)


def signed(
    document: object, secret: bytes = b"acme-signing-secret"
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a request `SignedSource` accepts."""
    body = orjson.dumps(document)
    return body, {"Content-Type": "application/json", SIGNATURE: sign(body, secret)}


def login_item(item_id: str, account: str, user: str = "u1", **more: Any) -> dict[str, Any]:
    return {"kind": "login", "id": item_id, "account": account, "user": user, **more}


def own_login(event_id: str, account: str, at: datetime, **more: Any) -> dict[str, Any]:
    """A logins event as the contract defines it."""
    return {
        "event_id": event_id,
        "account_id": account,
        "occurred_at": at.isoformat(),
        "user_id": "u1",
        **more,
    }


class FakeLink:
    """Kafka as the service sees it, without Kafka: records what it is handed."""

    def __init__(self) -> None:
        self.produced: list[Message] = []
        self.connected = True
        self.failing = False

    def unready_reason(self) -> str | None:
        if not self.connected:
            return "not connected to Kafka yet"
        return "Kafka did not acknowledge the last send" if self.failing else None

    async def check(self) -> str | None:
        return self.unready_reason()

    async def produce(self, messages: Sequence[Message]) -> None:
        reason = self.unready_reason()
        if reason is not None:
            raise KafkaUnavailable(reason)
        self.produced.extend(messages)


MAX_AGE = timedelta(days=400)


async def read_everything(
    bootstrap: str, topic: str, within: float = 30
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record `topic` holds now: read from the start to each partition's end."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    try:
        deadline = asyncio.get_running_loop().time() + within
        records: list[ConsumerRecord[bytes, bytes]] = []
        while not consumer.assignment():  # every partition, once the metadata is in
            assert asyncio.get_running_loop().time() < deadline, f"{topic}: no partitions"
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(batch)
        partitions = sorted(consumer.assignment())
        ends = await consumer.end_offsets(partitions)
        while [p for p in partitions if await consumer.position(p) < ends[p]]:
            assert asyncio.get_running_loop().time() < deadline, f"{topic}: not read in time"
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


@contextlib.asynccontextmanager
async def tcp_proxy(port: int, to_host: str, to_port: int) -> AsyncIterator[None]:
    """Forward connections to 127.0.0.1:`port` to `to_host`:`to_port` while open."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    tasks: set[asyncio.Task[None]] = set()

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(to_host, to_port)
        except OSError:
            writer.close()
            return
        for task in (
            asyncio.create_task(pipe(reader, upstream_writer)),
            asyncio.create_task(pipe(upstream_reader, writer)),
        ):
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    server = await asyncio.start_server(forward, "127.0.0.1", port)
    try:
        yield
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()
