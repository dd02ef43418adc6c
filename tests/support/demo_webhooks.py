"""What the gateway makes of the demo's webhooks (streams/demo/webhooks.py), for the tests
that compare it with the events the demo produces directly, and a fake gateway for the
demo's sender that maps with the real sources without a network."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from gateway.config import load_sources
from gateway.source import GatewayRejection, Source
from models.events import TOPIC_EVENTS, Event
from streams.cli.run_local import GATEWAY_CONFIG

SECRETS = {
    "HS_GATEWAY_STRIPE_SECRET": "whsec_demo-test",
    "HS_GATEWAY_ZENDESK_SECRET": "zendesk-demo-test",
}


def demo_sources(environ: Mapping[str, str] = SECRETS) -> dict[str, Source]:
    """The sources `make run`'s gateway serves: its config file, the run's secrets."""
    return load_sources(str(GATEWAY_CONFIG), environ)


def as_mapped(topic: str, event: Mapping[str, Any]) -> Event:
    """The demo's `event` as it arrives through the gateway: the same, but for what the
    vendor's shape cannot carry (streams/demo/webhooks.py lists it)."""
    expected = dict(event)
    at = datetime.fromisoformat(event["occurred_at"])
    if topic == "renewals":
        expected["event_id"] = f"stripe:evt_{event['event_id']}"
        # Stripe's `created` is whole Unix seconds.
        expected["occurred_at"] = datetime.fromtimestamp(int(at.timestamp()), UTC).isoformat()
        if event["status"] in ("renewed", "churned"):
            expected.pop("new_arr", None)  # the same ARR, or none: implied by the status
    else:
        assert topic == "tickets"
        stamp = at.isoformat(timespec="seconds")
        expected["event_id"] = f"zendesk:{event['ticket_id']}:{event['status']}:{stamp}"
        expected.pop("effort", None)  # no Zendesk field carries it
    return TOPIC_EVENTS[topic].model_validate(expected)


class FakeGateway:
    """`POST /v1/sources/{name}` answered like the gateway, by the real sources, in
    process: what they map is kept in `events`; `answer` may replace a reply."""

    def __init__(self, sources: Mapping[str, Source] | None = None) -> None:
        self.sources = demo_sources() if sources is None else dict(sources)
        self.events: list[tuple[str, Event]] = []
        self.requests: list[httpx.Request] = []
        self.answer: Callable[[httpx.Request], httpx.Response | None] = lambda request: None

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        canned = self.answer(request)
        if canned is not None:
            return canned
        name = request.url.path.removeprefix("/v1/sources/")
        source = self.sources[name]
        try:
            source.verify(request.headers, request.content, time.time())
            mapped = source.map(orjson.loads(request.content), datetime.now(UTC))
        except GatewayRejection as exc:
            return httpx.Response(exc.status, json={"error": exc.outcome, "detail": str(exc)})
        self.events.extend((out.topic, out.event) for out in mapped.events)
        return httpx.Response(202, json={"accepted": len(mapped.events), "ignored": mapped.ignored})
