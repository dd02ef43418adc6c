"""Segment-spec calls (Segment's Webhooks destination; RudderStack and Jitsu send the same).

| call            | becomes                                                            |
|-----------------|--------------------------------------------------------------------|
| track           | a login: user `userId`, feature = `event`                          |
| page            | a login: user `userId`, feature = `name` (or `properties.name`)    |
| group           | an account profile of the group: `traits` mapped to profile fields |
| identify        | ignored (or, with `identify: login`, a login carrying the role)    |
| screen, alias   | ignored                                                            |

A body is one call or a `{"batch": [...]}` of calls. The event id is
`segment:<messageId>`, so a retried delivery is dropped by the worker.
`timestamp` is the event time. A track or page call without `userId`
(an anonymous visitor, not a customer's user) is ignored.

Why identify is ignored by default: the gateway keeps no state, so a role
named by an identify call cannot be attached to later logins here. The
worker remembers each user's latest role from the logins that carry one, so
the role travels on track/page calls instead (`context.traits.role` by
default); an identify call, sent by CRM syncs and back-office updates as much
as at sign-in, is not evidence that the user used the product, and turning
it into a login would make idle users look active. Deployments whose identify
calls happen exactly at sign-in can opt in with `identify: login`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from gateway.messages import Delivery
from gateway.signatures import verify_segment
from gateway.source import Encoded, Mapped, Outgoing, Prepared, Unmappable
from gateway.sources.common import (
    AccountRule,
    Accounts,
    Path,
    Strict,
    at_path,
    build,
    clipped,
    day,
    event_id,
    first_at,
    identifier,
    normal_key,
    number,
    role_of,
    timestamp,
)
from gateway.sources.segment_body import SegmentBodies
from gateway.sources.segment_fast import FastLogins
from models.events import MAX_BATCH_EVENTS, AccountProfile, LoginEvent, Role

ProfileField = Literal[
    "name",
    "arr",
    "segment",
    "region",
    "line_of_business",
    "csm_owner",
    "renewal_date",
    "lifecycle_stage",
    "champion_user_id",
    "sponsor_user_id",
]

# Profile field -> trait (a path inside `traits`); a field mapped to null is not read.
DEFAULT_TRAITS: dict[ProfileField, str | None] = {
    "name": "name",
    "arr": "arr",
    "segment": "segment",
    "region": "region",
    "line_of_business": "industry",
    "csm_owner": "csm_owner",
    "renewal_date": "renewal_date",
    "lifecycle_stage": "lifecycle_stage",
    "champion_user_id": "champion_user_id",
    "sponsor_user_id": "sponsor_user_id",
}

IGNORED_CALLS = frozenset({"screen", "alias"})
CONTEXT_TRAITS = "context.traits."


class SegmentConfig(Strict):
    enabled: bool = True
    # The account of a track, page or identify call.
    account: AccountRule = AccountRule(path=["context.groupId"])
    # The account a group call describes.
    group_account: AccountRule = AccountRule(path=["groupId"])
    # Where a call names the user's role, and vendor values -> roles (the six
    # role names themselves are always understood).
    role_path: Path | None = "context.traits.role"
    roles: dict[str, Role] = Field(default_factory=dict)
    # Only these track events count as logins (default: every one).
    track_events: list[str] | None = None
    pages: bool = True
    identify: Literal["ignore", "login"] = "ignore"
    traits: dict[ProfileField, Path | None] = Field(default_factory=dict)

    @field_validator("roles")
    @classmethod
    def _normal_role_keys(cls, value: dict[str, Role]) -> dict[str, Role]:
        return {normal_key(k): v for k, v in value.items()}

    def trait_paths(self) -> dict[ProfileField, str]:
        merged = {**DEFAULT_TRAITS, **self.traits}
        return {field: path for field, path in merged.items() if path is not None}


class SegmentSource:
    def __init__(
        self,
        config: SegmentConfig,
        secrets: Sequence[bytes],
        accounts: Accounts,
        group_accounts: Accounts,
        name: str = "segment",
    ) -> None:
        self._config = config
        self._secrets = tuple(secrets)
        self._accounts = accounts
        self._group_accounts = group_accounts
        self._traits = config.trait_paths()
        self._events = frozenset(config.track_events) if config.track_events is not None else None
        self._name = name
        self._fast = FastLogins(
            accounts,
            config.role_path,
            config.roles,
            self._events,
            config.pages,
        )
        ignored_kinds = IGNORED_CALLS | ({"identify"} if config.identify == "ignore" else set())
        self._bodies = SegmentBodies.build(
            self._fast,
            accounts.paths,
            accounts.table,
            config.role_path,
            self._events,
            config.pages,
            frozenset(ignored_kinds),
        )

    @property
    def name(self) -> str:
        return self._name

    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> None:
        verify_segment(headers, body, self._secrets)

    def map(self, document: object, received_at: datetime) -> Mapped:
        events: list[Outgoing] = []
        ignored = 0
        calls, batched = self._calls(document)
        for index, call in enumerate(calls):
            outgoing = self._call(call, f"batch.{index}." if batched else "")
            if outgoing is None:
                ignored += 1
            else:
                events.append(outgoing)
        return Mapped(tuple(events), ignored)

    def map_encoded(self, document: object, received_at: datetime) -> Prepared:
        """`map`, with the track and page calls the fast path is sure of encoded
        already (gateway.sources.segment_fast); the rest goes through `map`'s code."""
        events: list[Outgoing | Encoded] = []
        ignored = 0
        fast = self._fast.encode
        calls, batched = self._calls(document)
        for index, call in enumerate(calls):
            encoded = fast(call)
            if encoded is not None:
                events.append(encoded)
                continue
            outgoing = self._call(call, f"batch.{index}." if batched else "")
            if outgoing is None:
                ignored += 1
            else:
                events.append(outgoing)
        return Prepared(events, ignored)

    def map_body(self, body: bytes, received_at: datetime) -> Delivery | None:
        """The messages `map_encoded` of the parsed body gives, straight from its bytes,
        for the bodies the body path is sure of (gateway.sources.segment_body); None
        for the others."""
        return None if self._bodies is None else self._bodies.map(body)

    def _calls(self, document: object) -> tuple[list[object], bool]:
        """The calls of a body, and whether it is a batch."""
        if isinstance(document, Mapping) and "batch" in document:
            calls = document["batch"]
            if not isinstance(calls, list):
                raise Unmappable("batch: expected an array of calls")
            if len(calls) > MAX_BATCH_EVENTS:
                raise Unmappable(f"batch: more than {MAX_BATCH_EVENTS} calls")
            return calls, True
        return [document], False

    def _call(self, call: object, where: str) -> Outgoing | None:
        if type(call) is not dict and not isinstance(call, Mapping):
            raise Unmappable(f"{where or 'body'}: expected a Segment call (a JSON object)")
        kind = call.get("type")
        if not isinstance(kind, str):
            raise Unmappable(f"{where}type: missing (track, page, identify, group, …)")
        kind = kind.lower()
        if kind == "group":
            return self._group(call, where)
        if kind in ("track", "page") or (kind == "identify" and self._config.identify == "login"):
            return self._login(call, kind, where)
        if kind == "identify" or kind in IGNORED_CALLS:
            return None
        raise Unmappable(f"{where}type: unknown Segment call type {kind[:32]!r}")

    def _common(self, call: Mapping[str, object], where: str) -> tuple[str, datetime]:
        message = call.get("messageId")
        if message is None:
            raise Unmappable(f"{where}messageId: missing")
        ident = event_id("segment", identifier(message, where + "messageId"))
        if call.get("timestamp") is None:
            raise Unmappable(f"{where}timestamp: missing")
        return ident, timestamp(call["timestamp"], where + "timestamp")

    def _login(self, call: Mapping[str, object], kind: str, where: str) -> Outgoing | None:
        feature: object = None
        if kind == "track":
            feature = call.get("event")
            if not isinstance(feature, str) or not feature.strip():
                raise Unmappable(f"{where}event: a track call needs its event name")
            if self._events is not None and feature not in self._events:
                return None
        elif kind == "page":
            if not self._config.pages:
                return None
            feature = call.get("name") or at_path(call, "properties.name")
        if call.get("userId") in (None, ""):
            return None  # an anonymous visitor is no customer's user
        user = identifier(call["userId"], where + "userId")
        account = self._accounts.of(call, where)
        if account is None:
            return None
        ident, occurred_at = self._common(call, where)
        role = self._role(call, kind)
        values: dict[str, object] = {
            "event_id": ident,
            "account_id": account,
            "occurred_at": occurred_at,
            "user_id": user,
            "role": role,
            "feature": clipped(feature.strip())
            if isinstance(feature, str) and feature.strip()
            else None,
        }
        origin = {"user_id": "userId", "feature": "event" if kind == "track" else "name"}
        return Outgoing("logins", build(LoginEvent, values, origin, where))

    def _role(self, call: Mapping[str, object], kind: str) -> Role | None:
        path = self._config.role_path
        if path is None:
            return None
        paths = [path]
        # An identify call keeps the user's traits at the top, not in its context.
        if kind == "identify" and path.startswith(CONTEXT_TRAITS):
            paths.append("traits." + path[len(CONTEXT_TRAITS) :])
        value, _ = first_at(call, paths)
        return role_of(value, self._config.roles)

    def _group(self, call: Mapping[str, object], where: str) -> Outgoing | None:
        account = self._group_accounts.of(call, where)
        if account is None:
            return None
        ident, occurred_at = self._common(call, where)
        traits = call.get("traits")
        if not isinstance(traits, Mapping):
            raise Unmappable(f"{where}traits: a group call needs its traits (at least a name)")
        values: dict[str, object] = {
            "event_id": ident,
            "account_id": account,
            "occurred_at": occurred_at,
        }
        origin: dict[str, str] = {}
        for field, path in self._traits.items():
            value = at_path(traits, path)
            origin[field] = f"traits.{path}"
            if value is None or value == "":
                continue
            values[field] = _profile_value(field, value, where + origin[field])
        if "name" not in values:
            raise Unmappable(
                f"{where}{origin.get('name', 'traits.name')}: a group call needs the account's "
                "name (each group call replaces the whole profile)"
            )
        return Outgoing("accounts", build(AccountProfile, values, origin, where))


def _feature(value: object) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    return clipped(text) if text else None


def _profile_value(field: str, value: object, where: str) -> object:
    """A trait's value in the form the profile field takes (the model then checks it)."""
    if field == "renewal_date":
        return day(value, where)
    if field in ("champion_user_id", "sponsor_user_id"):
        return identifier(value, where)
    if field == "arr":
        return number(value, where)
    if field == "lifecycle_stage" and isinstance(value, str):
        return normal_key(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else value
