"""Zendesk ticket webhooks -> `tickets`.

Two body shapes are read; a body whose `type` starts with `zen:event-type:`
is an event-subscription payload, anything else a trigger's JSON body.

Event subscriptions (`type`, `id`, `time`, `detail` = the ticket, `event` = the change):

| type                              | becomes                                               |
|-----------------------------------|-------------------------------------------------------|
| ...ticket.created                 | opened                                                |
| ...ticket.comment_added           | first_response, when the comment is public, its author |
|                                   | is staff and not the requester, and the ticket is not |
|                                   | solved or closed                                      |
| ...ticket.status_changed          | resolved when the new status is SOLVED; reopened when |
|                                   | the old one was SOLVED and the new one is not CLOSED  |
| anything else                     | ignored                                               |

The gateway keeps no state, so it cannot tell the *first* agent reply from
later ones: it sends one first_response per public agent reply and the worker
keeps the earliest per ticket, which is what first reply time measures.

Trigger bodies are written by the Zendesk admin with placeholders (see
docs/sources/zendesk.md); the fields read are named in the config (`trigger`).
Their `status` names the transition the trigger fires on (opened,
first_response, resolved, reopened, or Zendesk's new/solved). A satisfaction
rating (`good`/`bad` or 1-5) becomes csat on a resolved event.

Priority: Zendesk's low/normal/high/urgent in any case; none set -> the
configured default. Event ids: `zendesk:<event id>` for event subscriptions,
`zendesk:<ticket>:<status>:<time>` for trigger bodies (a retried request
carries the same body, so the same id).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from pydantic import Field, field_validator

from gateway.signatures import DEFAULT_TOLERANCE_SECONDS, verify_zendesk
from gateway.source import Mapped, Outgoing, Unmappable
from gateway.sources.common import (
    AccountRule,
    Accounts,
    Path,
    Strict,
    at_path,
    build,
    event_id,
    identifier,
    normal_key,
    timestamp,
)
from models.events import TicketEvent, TicketPriority, TicketStatus

EVENT_PREFIX = "zen:event-type:"

DEFAULT_STATUSES: dict[str, TicketStatus] = {
    "opened": TicketStatus.OPENED,
    "new": TicketStatus.OPENED,
    "created": TicketStatus.OPENED,
    "first_response": TicketStatus.FIRST_RESPONSE,
    "resolved": TicketStatus.RESOLVED,
    "solved": TicketStatus.RESOLVED,
    "reopened": TicketStatus.REOPENED,
}

# Rating values meaning "no answer" map to None.
DEFAULT_CSAT: dict[str, int | None] = {
    "good": 5,
    "bad": 1,
    "offered": None,
    "unoffered": None,
}


class TriggerFields(Strict):
    """Where a trigger body holds each field (paths in the body)."""

    ticket_id: Path = "ticket_id"
    status: Path = "status"
    priority: Path = "priority"
    occurred_at: Path = "occurred_at"
    satisfaction: Path | None = "satisfaction"


class ZendeskConfig(Strict):
    enabled: bool = True
    account: AccountRule = AccountRule(path=["detail.organization_id", "organization_id"])
    default_priority: TicketPriority = TicketPriority.NORMAL
    # Extra vendor priority values (e.g. a custom field's) -> priority.
    priorities: dict[str, TicketPriority] = Field(default_factory=dict)
    # Extra trigger status values -> status; merged over the defaults.
    statuses: dict[str, TicketStatus] = Field(default_factory=dict)
    # Extra satisfaction values -> csat (1-5) or null for "no answer".
    csat: dict[str, int | None] = Field(default_factory=dict)
    trigger: TriggerFields = TriggerFields()
    tolerance_seconds: int = Field(default=DEFAULT_TOLERANCE_SECONDS, ge=1, le=86_400)

    @field_validator("priorities", "statuses", "csat")
    @classmethod
    def _normal_keys(cls, value: dict[str, object]) -> dict[str, object]:
        return {normal_key(k): v for k, v in value.items()}

    @field_validator("csat")
    @classmethod
    def _csat_range(cls, value: dict[str, int | None]) -> dict[str, int | None]:
        for key, score in value.items():
            if score is not None and not 1 <= score <= 5:
                raise ValueError(f"{key}: csat must lie between 1 and 5 (or be null)")
        return value


class ZendeskSource:
    def __init__(
        self,
        config: ZendeskConfig,
        secrets: Sequence[bytes],
        accounts: Accounts,
        name: str = "zendesk",
    ) -> None:
        self._config = config
        self._secrets = tuple(secrets)
        self._accounts = accounts
        self._priorities = {p.value: p for p in TicketPriority} | config.priorities
        self._statuses = DEFAULT_STATUSES | config.statuses
        self._csat = DEFAULT_CSAT | config.csat
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> None:
        verify_zendesk(headers, body, self._secrets, now, self._config.tolerance_seconds)

    def map(self, document: object, received_at: datetime) -> Mapped:
        if not isinstance(document, Mapping):
            raise Unmappable("body: expected a JSON object")
        kind = document.get("type")
        if isinstance(kind, str) and kind.startswith(EVENT_PREFIX):
            return self._subscription(document, kind[len(EVENT_PREFIX) :])
        return self._trigger(document)

    def _priority(self, value: object, field: str) -> TicketPriority:
        if value is None or value == "" or value == "-":
            return self._config.default_priority
        if not isinstance(value, str):
            raise Unmappable(f"{field}: expected a priority name, got {value!r}")
        priority = self._priorities.get(normal_key(value))
        if priority is None:
            raise Unmappable(
                f"{field}: unknown priority {value[:32]!r} (low, normal, high, urgent)"
            )
        return priority

    def _subscription(self, document: Mapping[str, object], kind: str) -> Mapped:
        status = _subscription_status(document, kind)
        if status is None:
            return Mapped((), 1)
        account = self._accounts.of(document)
        if account is None:
            return Mapped((), 1)
        vendor_id = document.get("id")
        if vendor_id is None:
            raise Unmappable("id: missing")
        values: dict[str, object] = {
            "event_id": event_id("zendesk", identifier(vendor_id, "id")),
            "account_id": account,
            "occurred_at": timestamp(document.get("time"), "time"),
            "ticket_id": identifier(at_path(document, "detail.id"), "detail.id"),
            "status": status,
            "priority": self._priority(at_path(document, "detail.priority"), "detail.priority"),
        }
        return _one(build(TicketEvent, values, {"ticket_id": "detail.id"}, ""))

    def _trigger(self, document: Mapping[str, object]) -> Mapped:
        fields = self._config.trigger
        raw_status = at_path(document, fields.status)
        if not isinstance(raw_status, str) or not raw_status.strip():
            raise Unmappable(
                f"{fields.status}: missing (a trigger body names its transition: opened, "
                "first_response, resolved or reopened)"
            )
        status = self._statuses.get(normal_key(raw_status))
        if status is None:
            raise Unmappable(f"{fields.status}: unknown ticket status {raw_status[:32]!r}")
        account = self._accounts.of(document)
        if account is None:
            return Mapped((), 1)
        ticket = identifier(at_path(document, fields.ticket_id), fields.ticket_id)
        occurred_at = timestamp(at_path(document, fields.occurred_at), fields.occurred_at)
        values: dict[str, object] = {
            "event_id": event_id(
                "zendesk", ticket, status.value, occurred_at.isoformat(timespec="seconds")
            ),
            "account_id": account,
            "occurred_at": occurred_at,
            "ticket_id": ticket,
            "status": status,
            "priority": self._priority(at_path(document, fields.priority), fields.priority),
        }
        if status is TicketStatus.RESOLVED and fields.satisfaction is not None:
            values["csat"] = self._rating(
                at_path(document, fields.satisfaction), fields.satisfaction
            )
        origin = {"ticket_id": fields.ticket_id, "csat": fields.satisfaction or "satisfaction"}
        return _one(build(TicketEvent, values, origin, ""))

    def _rating(self, value: object, field: str) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value  # the model checks 1-5
        if not isinstance(value, str):
            raise Unmappable(f"{field}: expected a rating, got {value!r}")
        text = value.strip()
        if text.isdigit():
            return int(text)
        key = normal_key(text)
        # Zendesk renders ratings as e.g. "Good, I'm satisfied": the first word decides.
        word = key.split("_")[0].rstrip(",")
        for candidate in (key, word):
            if candidate in self._csat:
                return self._csat[candidate]
        raise Unmappable(f"{field}: unknown satisfaction rating {text[:32]!r}")


def _one(event: TicketEvent) -> Mapped:
    return Mapped((Outgoing("tickets", event),))


def _upper(value: object) -> str:
    return value.upper() if isinstance(value, str) else ""


def _subscription_status(document: Mapping[str, object], kind: str) -> TicketStatus | None:
    """The ticket status an event-subscription event reports, or None to ignore it."""
    if kind == "ticket.created":
        return TicketStatus.OPENED
    if kind == "ticket.status_changed":
        current = _upper(at_path(document, "event.current"))
        previous = _upper(at_path(document, "event.previous"))
        if current == "SOLVED":
            return TicketStatus.RESOLVED
        if previous == "SOLVED" and current in ("NEW", "OPEN", "PENDING", "HOLD"):
            return TicketStatus.REOPENED
        return None
    if kind == "ticket.comment_added":
        comment = at_path(document, "event.comment")
        if not isinstance(comment, Mapping):
            raise Unmappable("event.comment: missing from a comment_added event")
        author = comment.get("author")
        if comment.get("is_public") is not True or not isinstance(author, Mapping):
            return None
        if author.get("is_staff") is not True:
            return None
        requester = at_path(document, "detail.requester_id")
        if requester is not None and str(author.get("id")) == str(requester):
            return None  # an agent writing as the requester (a ticket opened on their behalf)
        if _upper(at_path(document, "detail.status")) in ("SOLVED", "CLOSED"):
            return None  # a note on a finished ticket is no response to an open one
        return TicketStatus.FIRST_RESPONSE
    return None
