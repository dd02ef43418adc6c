"""The gateway's ceiling: a bare aiohttp handler that produces what the gateway would.

    python -m bench.gateway_ceiling MESSAGES PORT

MESSAGES is a pickle of {request body: [(topic, key, value), ...]}, the
messages the gateway produces for that body, computed beforehand by the
gateway's own code (bench.gateway_load). For each POST the handler reads the
body, looks its messages up, sends them with the gateway's producer
(`streams.kafka_client.new_producer`: acks=all, idempotent, the same
compression and linger) to the topics of HS_TOPIC_PREFIX, and answers 202
once Kafka acknowledged every one. No check, no parsing, no mapping, no
counting: what is left is the HTTP server, the producer and the broker, the
most one process can do for that traffic.

GET /readyz answers 200 once the producer is connected. SIGTERM stops it.
"""

from __future__ import annotations

import asyncio
import pickle
import signal
import sys
from pathlib import Path

import orjson
from aiohttp import web

from streams.kafka_client import new_producer
from streams.settings import Settings
from streams.topics import ensure_topics


async def serve(table: dict[bytes, list[tuple[str, bytes, bytes]]], port: int) -> None:
    settings = Settings()
    await ensure_topics(settings)
    producer = new_producer(settings)
    await producer.start()
    replies = {
        body: orjson.dumps({"accepted": events, "ignored": 0})
        for body, events in _event_counts(table).items()
    }

    async def produce(request: web.Request) -> web.Response:
        body = await request.read()
        acknowledgements = [
            await producer.send(settings.topic(topic), value=value, key=key)
            for topic, key, value in table[body]
        ]
        await asyncio.gather(*acknowledgements)
        return web.Response(status=202, body=replies[body], content_type="application/json")

    async def ready(request: web.Request) -> web.Response:
        return web.Response(body=b'{"ready":true}', content_type="application/json")

    app = web.Application(client_max_size=settings.gateway_max_body_bytes)
    app.router.add_post("/{tail:.*}", produce)
    app.router.add_get("/readyz", ready)
    runner = web.AppRunner(app, access_log=None)  # as the gateway: no access log
    await runner.setup()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await web.TCPSite(runner, settings.gateway_host, port).start()
        await stop.wait()
    finally:
        await runner.cleanup()
        await producer.stop()


def _event_counts(table: dict[bytes, list[tuple[str, bytes, bytes]]]) -> dict[bytes, int]:
    """Events per body, for a reply the size of the gateway's."""
    return {
        body: sum(len(orjson.loads(value)) for _, _, value in messages)
        for body, messages in table.items()
    }


def main() -> int:
    table = pickle.loads(Path(sys.argv[1]).read_bytes())
    asyncio.run(serve(table, int(sys.argv[2])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
