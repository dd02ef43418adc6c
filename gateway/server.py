"""The gateway's HTTP service (aiohttp): routes, replies and their counting.

    POST /v1/sources/{name}   a configured webhook source (gateway.source)
    POST /v1/events/{topic}   our own events, bearer token (gateway.own_events)
    GET  /healthz /readyz /metrics

A request is checked whole before anything is produced: route, size,
content type, signature or token, JSON, mapping or validation. Only then are
its events produced, and the reply is 202 once Kafka acknowledged every one
of them. Every POST and every request to an unknown route is counted in
`healthscore_gateway_requests_total{source,outcome}`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from aiohttp import web
from prometheus_client import generate_latest

from gateway.intake import check_bearer, check_content_type, parse_json, read_body
from gateway.kafka_link import Link
from gateway.messages import Delivery, deliver_events
from gateway.metrics import NO_SOURCE, OWN_EVENTS, GatewayMetrics
from gateway.own_events import deliver_own_events
from gateway.rejections import KafkaUnavailable, NotFound
from gateway.source import GatewayRejection, Source
from models.events import TOPIC_EVENTS
from streams.settings import Settings

log = logging.getLogger(__name__)

JSON = "application/json"
# Prometheus' text format 0.0.4; aiohttp refuses a charset inside content_type.
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Where a handler leaves the request's source label for the counting middleware.
SOURCE_LABEL = web.RequestKey("source_label", str)
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})
ROUTES = (
    "the gateway serves POST /v1/sources/{name}, POST /v1/events/{topic}, "
    "GET /healthz, /readyz and /metrics"
)
_ANSWERED_BY_ROUTER = {404: "not_found", 405: "method_not_allowed"}


@dataclass(frozen=True)
class GatewayOptions:
    """What the service needs of the settings and the health model."""

    max_body_bytes: int
    # `Authorization` token of POST /v1/events/{topic}; None turns that route off.
    token: bytes | None
    # Events older than this (the model's longest window) are refused, as workers refuse them.
    max_age: timedelta
    strict_fields: bool = False
    retry_after_seconds: int = 5

    @classmethod
    def from_settings(cls, settings: Settings, max_age: timedelta) -> GatewayOptions:
        secret = settings.gateway_token.get_secret_value() if settings.gateway_token else ""
        return cls(
            max_body_bytes=settings.gateway_max_body_bytes,
            token=secret.encode() if secret else None,
            max_age=max_age,
            strict_fields=settings.strict_fields,
            # A client retrying at the pace of the produce timeout never piles requests up.
            retry_after_seconds=max(1, round(settings.gateway_produce_timeout_seconds / 2)),
        )


class Gateway:
    """The aiohttp application around `sources` and a Kafka `link`.

    `clock` gives Unix time for the sources' signature-timestamp checks.
    """

    def __init__(
        self,
        sources: Mapping[str, Source],
        link: Link,
        options: GatewayOptions,
        metrics: GatewayMetrics,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sources = dict(sources)
        self.link = link
        self.options = options
        self.metrics = metrics
        self.clock = clock
        # Set once shutdown begins: /readyz then sends traffic elsewhere.
        self.stopping = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        metrics.kafka_up.set_function(lambda: 0.0 if link.unready_reason() else 1.0)

    def app(self) -> web.Application:
        # client_max_size guards aiohttp's own body readers; ours is read_body's limit.
        app = web.Application(
            client_max_size=self.options.max_body_bytes, middlewares=[self._track, self._count]
        )
        app.router.add_post("/v1/sources/{name}", self._source)
        app.router.add_post("/v1/events/{topic}", self._own_events)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        return app

    # -- the counting middleware ------------------------------------------------------

    async def drain(self, quiet: float = 0.2) -> None:
        """Return once no request has been in flight for `quiet` seconds.

        For after the listener closed and before aiohttp's own shutdown: that
        closes every connection at once and drops the bytes still arriving on
        it, so a request whose body was on its way would never finish
        (aio-libs/aiohttp#2298). Meanwhile each reply closes its connection.
        """
        while True:
            await self._idle.wait()
            await asyncio.sleep(quiet)
            if self._in_flight == 0:
                return

    @web.middleware
    async def _track(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Keep count of the requests in flight, for `drain`."""
        self._in_flight += 1
        self._idle.clear()
        try:
            response = await handler(request)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()
        if self.stopping:
            response.force_close()  # the client's next request goes to another gateway
        return response

    @web.middleware
    async def _count(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.path in PROBES and request.method in ("GET", "HEAD"):
            return await handler(request)
        started = time.perf_counter()
        try:
            response, outcome = await handler(request), "accepted"
        except GatewayRejection as exc:
            response, outcome = self._refusal(exc), exc.outcome
        except KafkaUnavailable as exc:
            response, outcome = self._unavailable(exc), exc.outcome
        except web.HTTPException as exc:  # the router's 404 and 405
            outcome = _ANSWERED_BY_ROUTER.get(exc.status, "error")
            allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else {}
            response = _error(exc.status, outcome, f"{exc.reason}: {ROUTES}", allow)
        except Exception:
            log.exception("gateway request to %s failed", request.path)
            response, outcome = _error(500, "error", "internal error"), "error"
        source = request.get(SOURCE_LABEL, NO_SOURCE)
        self.metrics.requests.labels(source, outcome).inc()
        self.metrics.duration.labels(source).observe(time.perf_counter() - started)
        return response

    def _refusal(self, exc: GatewayRejection) -> web.Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
        response = _error(exc.status, exc.outcome, str(exc), headers)
        if exc.status == 413:  # the rest of the body is never read: do not wait for it
            response.force_close()
        return response

    def _unavailable(self, exc: KafkaUnavailable) -> web.Response:
        seconds = self.options.retry_after_seconds
        return _error(
            503,
            exc.outcome,
            f"{exc}; nothing was accepted, retry after {seconds} s",
            {"Retry-After": str(seconds)},
        )

    # -- the routes -------------------------------------------------------------------

    async def _source(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        source = self.sources.get(name)
        if source is None:
            raise NotFound(f"no source named {name[:100]!r} is configured (HS_GATEWAY_CONFIG)")
        request[SOURCE_LABEL] = name
        check_content_type(request.headers)
        body = await read_body(request, self.options.max_body_bytes)
        source.verify(request.headers, body, self.clock())
        mapped = source.map(parse_json(body), datetime.now(UTC))
        return await self._deliver(name, deliver_events(mapped.events, mapped.ignored))

    async def _own_events(self, request: web.Request) -> web.Response:
        topic = request.match_info["topic"]
        if topic not in TOPIC_EVENTS:
            raise NotFound(f"no topic {topic[:100]!r}: choose one of {', '.join(TOPIC_EVENTS)}")
        request[SOURCE_LABEL] = OWN_EVENTS
        if self.options.token is None:
            raise NotFound("events over HTTP are off: the gateway has no HS_GATEWAY_TOKEN")
        # The token before the body: an unauthenticated client never makes us read one.
        check_bearer(request.headers, self.options.token)
        check_content_type(request.headers)
        body = await read_body(request, self.options.max_body_bytes)
        document = parse_json(body)
        delivery = deliver_own_events(
            topic,
            document,
            datetime.now(UTC),
            self.options.max_age,
            self.options.strict_fields,
        )
        return await self._deliver(OWN_EVENTS, delivery)

    async def _deliver(self, source: str, delivery: Delivery) -> web.Response:
        """Produce, then count and answer 202: only once Kafka has every message."""
        if delivery.messages:
            await self.link.produce(delivery.messages)
        for topic, count in delivery.events.items():
            self.metrics.events.labels(source, topic).inc(count)
        if delivery.ignored:
            self.metrics.ignored.labels(source).inc(delivery.ignored)
        return _json(202, {"accepted": delivery.accepted, "ignored": delivery.ignored})

    async def _healthz(self, request: web.Request) -> web.Response:
        return _json(200, {"status": "ok"})

    async def _readyz(self, request: web.Request) -> web.Response:
        reason = "shutting down" if self.stopping else await self.link.check()
        return _json(200 if reason is None else 503, {"ready": reason is None, "reason": reason})

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(self.metrics.registry),
            headers={"Content-Type": METRICS_CONTENT_TYPE},
        )


def _json(status: int, body: object, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type=JSON, headers=headers)


def _error(
    status: int, outcome: str, detail: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    return _json(status, {"error": outcome, "detail": detail}, headers)
