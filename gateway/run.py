"""`healthscore gateway`: serve the gateway until SIGTERM or SIGINT, then stop gracefully.

Stopping: /readyz turns 503, the listener closes, requests in flight finish
(each waits at most HS_GATEWAY_PRODUCE_TIMEOUT_SECONDS for Kafka), and the
producer is flushed and closed. Every request answered 202 was acknowledged
by Kafka before its answer, so none is lost by stopping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web

from gateway import config as gateway_config
from gateway.kafka_link import KafkaLink
from gateway.metrics import GatewayMetrics
from gateway.server import Gateway, GatewayOptions
from gateway.source import Source
from models.exceptions import HealthscoreError
from models.model_config import load_model
from streams.garbage import collect_garbage_less_often
from streams.kafka_client import protect_logs
from streams.settings import Settings

log = logging.getLogger(__name__)


class GatewayError(HealthscoreError):
    """The gateway cannot start or had to stop; the message says why in one line."""


@contextlib.asynccontextmanager
async def serving(
    app: web.Application,
    host: str,
    port: int,
    shutdown_timeout: float = 15.0,
    drain: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[int]:
    """Serve `app` on host:port (0 picks a free port) and give the bound port; on the
    way out stop listening, await `drain` (the requests in flight finishing), then
    close every connection; the two waits take `shutdown_timeout` at most each."""
    # No access log: every request is counted in /metrics, and logging each costs throughput.
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            raise GatewayError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        yield int(runner.addresses[0][1])
    finally:
        if drain is not None:
            for listening in list(runner.sites):
                await listening.stop()
            try:
                async with asyncio.timeout(shutdown_timeout):
                    await drain()
            except TimeoutError:
                log.warning("requests still in flight after %g s; stopping", shutdown_timeout)
        await runner.cleanup()


def load_sources(settings: Settings) -> dict[str, Source]:
    """The webhook sources to serve: those HS_GATEWAY_CONFIG configures, and
    without it every source whose signing secret is set."""
    path = str(settings.gateway_config) if settings.gateway_config else None
    return gateway_config.load_sources(path, os.environ)


@dataclass(frozen=True)
class RunningGateway:
    gateway: Gateway
    link: KafkaLink
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.link.settings.gateway_host}:{self.port}"


@contextlib.asynccontextmanager
async def running_gateway(
    settings: Settings,
    sources: Mapping[str, Source],
    max_age: timedelta,
    port: int | None = None,
) -> AsyncIterator[RunningGateway]:
    """The gateway serving on HS_GATEWAY_HOST and `port` (default HS_GATEWAY_PORT; 0
    picks a free one), connecting to Kafka in the background; stopped gracefully on
    the way out: /readyz turns 503, requests in flight finish, the producer flushes."""
    link = KafkaLink(settings)
    options = GatewayOptions.from_settings(settings, max_age)
    gateway = Gateway(sources, link, options, GatewayMetrics())
    link.start()
    try:
        # Room for a request in flight to get Kafka's answer or its 503.
        grace = settings.gateway_produce_timeout_seconds + 5
        chosen = settings.gateway_port if port is None else port
        app = gateway.app()
        async with serving(app, settings.gateway_host, chosen, grace, gateway.drain) as bound:
            try:
                yield RunningGateway(gateway, link, bound)
            finally:
                gateway.stopping = True
    finally:
        await link.stop()


async def serve_gateway(
    settings: Settings, sources: Mapping[str, Source], max_age: timedelta
) -> None:
    """Run until SIGTERM or SIGINT; raise GatewayError if Kafka's topics cannot be used."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with running_gateway(settings, sources, max_age) as running:
            log.info(
                "gateway listening on %s; sources: %s; events over HTTP: %s",
                running.url,
                ", ".join(sorted(sources)) or "none",
                "on" if running.gateway.options.token else "off (no HS_GATEWAY_TOKEN)",
            )
            fatal = running.link.fatal
            assert fatal is not None
            stopped = asyncio.create_task(stop.wait())
            waiting: list[asyncio.Future[Any]] = [stopped, fatal]
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            log.info("gateway stopping: finishing the requests in flight")
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    if fatal.done():
        raise GatewayError(str(fatal.result()))


def run_gateway(settings: Settings) -> int:
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    protect_logs(settings)
    max_age = timedelta(
        days=load_model(str(settings.model) if settings.model else None).longest_window_days
    )
    sources = load_sources(settings)
    collect_garbage_less_often()  # a parsed payload is thousands of short-lived objects
    asyncio.run(serve_gateway(settings, sources, max_age))
    log.info("gateway stopped")
    return 0
