"""What the HTTP service needs of a webhook source, and the errors a source raises.

A source is pure: it checks a request's signature and maps a parsed JSON
document to input events. The service (gateway.server) owns everything else:
size limits, JSON parsing, producing, replying and counting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from models.events import Event
from models.exceptions import HealthscoreError


class GatewayRejection(HealthscoreError):
    """A request the gateway refuses; nothing of it is produced."""

    status = 400
    outcome = "unmappable"


class Unauthorized(GatewayRejection):
    """Missing, malformed, stale or wrong signature or token (HTTP 401)."""

    status = 401
    outcome = "unauthorized"


class Unmappable(GatewayRejection):
    """A payload the source cannot turn into events (HTTP 400, the message says why)."""

    status = 400
    outcome = "unmappable"


@dataclass(frozen=True)
class Outgoing:
    """One input event to produce: `topic` is the unprefixed input topic name."""

    topic: str
    event: Event


@dataclass(frozen=True)
class Mapped:
    """What a request maps to. `ignored` counts payload items the source
    deliberately does not map (a Segment `screen` call, a Stripe event type it
    does not read): they are acknowledged, not errors."""

    events: tuple[Outgoing, ...]
    ignored: int = 0


@dataclass(slots=True)  # not frozen: a frozen dataclass takes several times longer to make
class Encoded:
    """An event a source checked against its topic's model and encoded as the model
    encodes it (`model_dump_json(exclude_none=True)`); `account_id` is its key."""

    topic: str
    account_id: str
    value: bytes


@dataclass(frozen=True)
class Prepared:
    """What a source's fast path (`map_encoded`, where a source has one) maps a
    document to: the same events as `map`, some of them encoded already."""

    events: list[Outgoing | Encoded]
    ignored: int = 0


class Source(Protocol):
    """A webhook source, served at `POST /v1/sources/{name}`."""

    @property
    def name(self) -> str: ...

    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> None:
        """Raise Unauthorized unless `body` is signed as the vendor signs it.

        `headers` is case-insensitive; `body` is the raw request bytes; `now` is
        the current Unix time, for timestamp tolerance checks.
        """
        ...

    def map(self, document: object, received_at: datetime) -> Mapped:
        """The events `document` (the body parsed as JSON) maps to; raise
        Unmappable with a message naming the field when any part cannot be
        mapped (the whole request is then rejected). `received_at` stands in
        for a missing event time only where the source documents none."""
        ...
