"""A real HTTP receiver on 127.0.0.1 for the sink tests: records requests, replies as scripted."""

from __future__ import annotations

import json
import socket
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)


class Receiver:
    """Answers each request with the next scripted `Reply`, then with `default`."""

    def __init__(self, default: Reply | None = None) -> None:
        self.requests: list[Received] = []
        self.default = default or Reply()
        self._replies: deque[Reply] = deque()
        self._runner: web.AppRunner | None = None
        self.url = ""

    def script(self, *replies: Reply) -> None:
        self._replies.extend(replies)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(Received(request.method, request.path, dict(request.headers), body))
        reply = self._replies.popleft() if self._replies else self.default
        return web.Response(status=reply.status, text=reply.body, headers=reply.headers)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        listening = socket.socket()
        listening.bind(("127.0.0.1", 0))
        port = listening.getsockname()[1]
        await web.SockSite(self._runner, listening).start()
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@asynccontextmanager
async def running_receiver(default: Reply | None = None) -> AsyncIterator[Receiver]:
    receiver = Receiver(default)
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()
