"""A closed-loop HTTP/1.1 load generator cheap enough not to be what it measures.

Each of `connections` keep-alive connections sends a prebuilt request (the
whole HTTP/1.1 request as bytes: one write) and waits for its reply before
sending the next. A reply is read as aiohttp's server writes one: a status
line, headers with Content-Length, the body. That costs a few microseconds of
Python per request, where an HTTP client library's request costs a hundred or
more: on a 2-core machine shared with the server under test and the broker,
the client must leave them the CPU.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass


class _Connection(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.reply: asyncio.Future[tuple[int, bytes]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.reply is not None and not self.reply.done():
            self.reply.set_exception(ConnectionError(f"the server closed the connection: {exc}"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        lines = bytes(self.buffer[:end]).split(b"\r\n")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        whole = end + 4 + length
        if len(self.buffer) < whole:
            return
        body = bytes(self.buffer[end + 4 : whole])
        del self.buffer[:whole]
        if self.reply is not None and not self.reply.done():
            self.reply.set_result((int(lines[0].split(b" ", 2)[1]), body))

    async def send(self, request: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        self.reply = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.reply

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


@dataclass(frozen=True)
class Window:
    """What was answered within the measured window."""

    requests: int
    events: int
    seconds: float
    # CPU seconds the server process and this process used in the window.
    server_cpu_seconds: float
    load_cpu_seconds: float


async def closed_loop(
    port: int,
    requests: Sequence[bytes],
    events: Sequence[int],
    connections: int,
    warmup: float,
    seconds: float,
    server_cpu: Callable[[], float],
    expected_status: int = 202,
) -> Window:
    """Send `requests` round-robin (each carrying `events[i]` events) over
    `connections` connections for `warmup` + `seconds`; count the replies that
    arrive within the last `seconds`. Any other status than `expected_status`
    stops the run with the server's answer."""
    loop = asyncio.get_running_loop()
    opened = [
        (await loop.create_connection(_Connection, "127.0.0.1", port))[1]
        for _ in range(connections)
    ]
    turn = itertools.cycle(range(len(requests)))
    answered: Counter[str] = Counter()
    begin = loop.time() + warmup
    end = begin + seconds

    async def drive(connection: _Connection) -> None:
        while loop.time() < end:
            index = next(turn)
            status, body = await connection.send(requests[index])
            if status != expected_status:
                raise RuntimeError(f"HTTP {status}: {body[:500]!r}")
            if begin <= loop.time() < end:
                answered["requests"] += 1
                answered["events"] += events[index]

    async def watch() -> tuple[float, float]:
        await asyncio.sleep(begin - loop.time())
        server, mine = server_cpu(), time.process_time()
        await asyncio.sleep(end - loop.time())
        return server_cpu() - server, time.process_time() - mine

    try:
        async with asyncio.TaskGroup() as group:  # one failure cancels the rest
            watching = group.create_task(watch())
            for connection in opened:
                group.create_task(drive(connection))
        server_used, load_used = watching.result()
    finally:
        for connection in opened:
            connection.close()
    return Window(answered["requests"], answered["events"], seconds, server_used, load_used)
