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
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from aiohttp import web
from prometheus_client import generate_latest

from gateway.intake import check_bearer, check_content_type, parse_json, read_body
from gateway.kafka_link import Link
from gateway.messages import Delivery, deliver_events
from gateway.metrics import NO_SOURCE, OWN_EVENTS, GatewayMetrics
from gateway.own_events import deliver_own_events
from gateway.rejections import KafkaUnavailable, MethodNotAllowed, NotFound
from gateway.source import GatewayRejection, Mapped, Prepared, Source
from models.events import TOPIC_EVENTS
from streams.settings import Settings

log = logging.getLogger(__name__)

JSON = "application/json"
# Prometheus' text format 0.0.4; aiohttp refuses a charset inside content_type.
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ROUTES = (
    "the gateway serves POST /v1/sources/{name}, POST /v1/events/{topic}, "
    "GET /healthz, /readyz and /metrics"
)
_ANSWERED_BY_ROUTER = {404: "not_found", 405: "method_not_allowed"}
_Counter = Any  # a labelled child of a prometheus Counter / Histogram (untyped there)
_Histogram = Any


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
        self._request_children: dict[tuple[str, str], _Counter] = {}
        self._duration_children: dict[str, _Histogram] = {}
        self._event_children: dict[tuple[str, str], _Counter] = {}
        self._unrouted_resource: object = None
        # How each source maps a document: straight to encoded events where it can.
        self._mappers: dict[str, Callable[[object, datetime], Mapped | Prepared]] = {
            name: getattr(source, "map_encoded", source.map) for name, source in sources.items()
        }
        # And straight from the body's bytes to messages, where a source can (None: parse it).
        self._body_mappers: dict[str, Callable[[bytes, datetime], Delivery | None]] = {
            name: source.map_body for name, source in sources.items() if hasattr(source, "map_body")
        }
        metrics.kafka_up.set_function(lambda: 0.0 if link.unready_reason() else 1.0)

    def app(self) -> web.Application:
        # client_max_size guards aiohttp's own body readers; ours is read_body's limit.
        # No middleware: each route counts and times itself (`_answer`), and the
        # catch-all route answers what the router would refuse, so a request pays
        # for no middleware chain.
        app = web.Application(client_max_size=self.options.max_body_bytes)
        app.router.add_post("/v1/sources/{name}", self._source)
        app.router.add_post("/v1/events/{topic}", self._own_events)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._unrouted_resource = app.router.add_route("*", "/{tail:.*}", self._unrouted).resource
        return app

    # -- tracking and counting ----------------------------------------------------------

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

    async def _answer(
        self, request: web.Request, label: str, work: Coroutine[object, None, web.StreamResponse]
    ) -> web.StreamResponse:
        """Await `work` (a route's), keeping count of the requests in flight (for
        `drain`); turn a refusal into its reply; count and time the outcome."""
        self._in_flight += 1
        self._idle.clear()
        started = time.perf_counter()
        try:
            response, outcome = await work, "accepted"
        except GatewayRejection as exc:
            response, outcome = self._refusal(exc), exc.outcome
        except KafkaUnavailable as exc:
            response, outcome = self._unavailable(exc), exc.outcome
        except web.HTTPException as exc:  # aiohttp's own, should a reader raise one
            outcome = _ANSWERED_BY_ROUTER.get(exc.status, "error")
            allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else {}
            response = _error(exc.status, outcome, f"{exc.reason}: {ROUTES}", allow)
        except Exception:
            log.exception("gateway request to %s failed", request.path)
            response, outcome = _error(500, "error", "internal error"), "error"
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()
        self._counted(label, outcome).inc()
        self._timed(label).observe(time.perf_counter() - started)
        if self.stopping:
            response.force_close()  # the client's next request goes to another gateway
        return response

    async def _probe(self, work: Coroutine[object, None, web.StreamResponse]) -> web.StreamResponse:
        """A probe's reply: tracked for `drain`, not counted."""
        self._in_flight += 1
        self._idle.clear()
        try:
            response = await work
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()
        if self.stopping:
            response.force_close()
        return response

    def _counted(self, label: str, outcome: str) -> _Counter:
        """The requests counter's child of (label, outcome), looked up once."""
        child = self._request_children.get((label, outcome))
        if child is None:
            child = self.metrics.requests.labels(label, outcome)
            self._request_children[(label, outcome)] = child
        return child

    def _timed(self, label: str) -> _Histogram:
        child = self._duration_children.get(label)
        if child is None:
            child = self._duration_children[label] = self.metrics.duration.labels(label)
        return child

    async def _unrouted(self, request: web.Request) -> web.StreamResponse:
        """What no other route takes: 405 where another route serves the path with
        other methods (as aiohttp's router would say), else 404."""
        allowed: set[str] = set()
        for resource in request.app.router.resources():
            if resource is not self._unrouted_resource:
                allowed |= (await resource.resolve(request))[1]
        return await self._answer(request, NO_SOURCE, _refuse_route(allowed))

    def _refusal(self, exc: GatewayRejection) -> web.Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
        if isinstance(exc, MethodNotAllowed):
            headers["Allow"] = exc.allow
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

    async def _source(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        source = self.sources.get(name)
        if source is None:
            missing = NotFound(f"no source named {name[:100]!r} is configured (HS_GATEWAY_CONFIG)")
            return await self._answer(request, NO_SOURCE, _refuse(missing))
        return await self._answer(request, name, self._from_source(request, name, source))

    async def _from_source(self, request: web.Request, name: str, source: Source) -> web.Response:
        check_content_type(request.headers)
        body = await read_body(request, self.options.max_body_bytes)
        source.verify(request.headers, body, self.clock())
        now = datetime.now(UTC)
        map_body = self._body_mappers.get(name)
        delivery = None if map_body is None else map_body(body, now)
        if delivery is None:
            mapped = self._mappers[name](parse_json(body), now)
            delivery = deliver_events(mapped.events, mapped.ignored)
        return await self._deliver(name, delivery)

    async def _own_events(self, request: web.Request) -> web.StreamResponse:
        topic = request.match_info["topic"]
        if topic not in TOPIC_EVENTS:
            missing = NotFound(f"no topic {topic[:100]!r}: choose one of {', '.join(TOPIC_EVENTS)}")
            return await self._answer(request, NO_SOURCE, _refuse(missing))
        return await self._answer(request, OWN_EVENTS, self._from_own_events(request, topic))

    async def _from_own_events(self, request: web.Request, topic: str) -> web.Response:
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
            child = self._event_children.get((source, topic))
            if child is None:
                child = self.metrics.events.labels(source, topic)
                self._event_children[(source, topic)] = child
            child.inc(count)
        if delivery.ignored:
            self.metrics.ignored.labels(source).inc(delivery.ignored)
        return _json(202, {"accepted": delivery.accepted, "ignored": delivery.ignored})

    async def _healthz(self, request: web.Request) -> web.StreamResponse:
        return await self._probe(self._health())

    async def _health(self) -> web.Response:
        return _json(200, {"status": "ok"})

    async def _readyz(self, request: web.Request) -> web.StreamResponse:
        return await self._probe(self._readiness())

    async def _readiness(self) -> web.Response:
        reason = "shutting down" if self.stopping else await self.link.check()
        return _json(200 if reason is None else 503, {"ready": reason is None, "reason": reason})

    async def _metrics(self, request: web.Request) -> web.StreamResponse:
        return await self._probe(self._exposition())

    async def _exposition(self) -> web.Response:
        return web.Response(
            body=generate_latest(self.metrics.registry),
            headers={"Content-Type": METRICS_CONTENT_TYPE},
        )


async def _refuse(rejection: GatewayRejection) -> web.Response:
    raise rejection


async def _refuse_route(allowed: set[str]) -> web.Response:
    if allowed:
        raise MethodNotAllowed(f"Method Not Allowed: {ROUTES}", ",".join(sorted(allowed)))
    raise NotFound(f"Not Found: {ROUTES}")


def _json(status: int, body: object, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type=JSON, headers=headers)


def _error(
    status: int, outcome: str, detail: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    return _json(status, {"error": outcome, "detail": detail}, headers)
