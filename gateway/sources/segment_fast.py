"""The Segment source's fast path: a track or page call straight to its login's bytes.

Most of what a Segment webhook carries is track and page calls, each a login.
`SegmentSource.map` checks a call and builds its `LoginEvent` (pydantic), which
`gateway.messages` then encodes; for a batch of a hundred calls that is most of
the gateway's time. `FastLogins.record` takes the same decisions in plain
Python and keeps the login's fields in a `LoginRecord`, which msgspec encodes
to the bytes the model gives (`model_dump_json(exclude_none=True)`: same
fields, same order, same formats). `FastLogins.encode` does that for a call
parsed as a dict; `gateway.sources.segment_body` for the calls of a body it
decoded itself. It only ever *accepts*: a call it is not sure of —
any other call type, a field of an unexpected type, a value out of the model's
bounds, a call the source would ignore or refuse — it hands back to
`SegmentSource.map`'s own code, which then decides, refusing with the usual
message. So the fast path accepts a subset of what the model accepts, with the
same bytes; `tests/unit/gateway/test_segment_fast.py` checks that with
generated calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import msgspec

from gateway.source import Encoded
from gateway.sources.common import MAX_ID, Accounts, at_path, event_id, role_of
from models.events import Role

# Role values seen -> the role they name's value (or None); vendors send a handful.
_ROLE_CACHE_SIZE = 1024
# fromisoformat reads "Z" only from Python 3.11; sources.common.timestamp rewrites it.
_Z = "Z"
_UTC_OFFSET = "+00:00"
# Where a page call without a name has one.
PAGE_NAME = ("properties", "name")


class LoginRecord(msgspec.Struct, omit_defaults=True, gc=False):
    """A login's fields in `LoginEvent`'s order, checked as the model checks them;
    msgspec encodes it as the model does with exclude_none (the defaults left out)."""

    event_id: str
    account_id: str
    occurred_at: datetime
    user_id: str
    role: str | None = None
    feature: str | None = None


# Encodes a LoginRecord, or a list of them as a batch envelope; raises
# UnicodeEncodeError on text the model refuses (lone surrogates).
LOGINS = msgspec.json.Encoder()


class FastLogins:
    """The track and page calls a `SegmentSource` would map to logins, decided and
    encoded without the model; None for every call it leaves to the source."""

    def __init__(
        self,
        accounts: Accounts,
        role_path: str | None,
        roles: Mapping[str, Role],
        track_events: frozenset[str] | None,
        pages: bool,
    ) -> None:
        self._account_paths = tuple(tuple(path.split(".")) for path in accounts.paths)
        self._table = accounts.table
        self._role_steps = tuple(role_path.split(".")) if role_path is not None else None
        self._roles = roles
        self._track_events = track_events
        self._pages = pages
        self._role_cache: dict[str, str | None] = {}
        # The usual rule: one path of two steps (`context.groupId`), no lookup table.
        first = self._account_paths[0]
        single = len(self._account_paths) == 1 and len(first) == 2 and self._table is None
        self._context = first if single else None
        self._role_in_context = (
            single and self._role_steps is not None and self._role_steps[0] == first[0]
        )

    def encode(self, call: object) -> Encoded | None:
        if type(call) is not dict:
            return None
        kind = call.get("type")
        feature: object
        if kind == "track":
            feature = call.get("event")
            if type(feature) is not str or (
                self._track_events is not None and feature not in self._track_events
            ):
                return None
        elif kind == "page" and self._pages:
            # A list or text on the way is nothing here, as in sources.common.at_path.
            feature = call.get("name") or _at(call, PAGE_NAME)
        else:
            return None
        context = self._context
        if context is not None:  # the account in a field of an object, as by default
            node = call.get(context[0])
            if type(node) is not dict:
                return None
            account = plain_account(node.get(context[1]))
        else:
            node = None
            account = self._account(call)
        if account is None:
            return None
        record = self.record(
            kind,
            feature,
            call.get("userId"),
            call.get("messageId"),
            call.get("timestamp"),
            account,
            self._call_role(call, node),
        )
        if record is None:
            return None
        try:
            return Encoded("logins", account, LOGINS.encode(record))
        except UnicodeEncodeError:
            return None

    def record(
        self,
        kind: str,
        feature: object,
        user: object,
        message: object,
        moment: object,
        account: str,
        role: str | None,
    ) -> LoginRecord | None:
        """The login of a track or page call whose account and role (its value) are
        known already; None where the source's own code is to decide."""
        if type(user) is not str or type(message) is not str or type(moment) is not str:
            return None
        user = user.strip()
        message = message.strip()
        if not user or len(user) > MAX_ID or not message:
            return None
        moment = moment.strip()
        if not moment:
            return None
        try:
            occurred_at = datetime.fromisoformat(moment.replace(_Z, _UTC_OFFSET))
        except ValueError:
            return None
        zone = occurred_at.tzinfo
        if zone is not UTC:
            offset = occurred_at.utcoffset()
            # msgspec writes an offset in whole minutes, pydantic its seconds too.
            if offset is None or offset.seconds % 60 or offset.microseconds:
                return None
        ident = "segment:" + message  # sources.common.event_id, short ids' case
        if len(ident) > MAX_ID:
            ident = event_id("segment", message)
        if type(feature) is str:
            feature = feature.strip()[:MAX_ID] or None
            if feature is None and kind == "track":
                return None  # the source refuses a track call without its event name
        else:
            feature = None
        return LoginRecord(ident, account, occurred_at, user, role, feature)

    def named_role(self, value: object) -> str | None:
        """The value of the role `value` (read at the role path) names, as the source reads it."""
        if type(value) is not str or value == "":  # sources.common.first_at skips ""
            return None
        role = self._role_cache.get(value, _MISSING)
        if role is _MISSING:
            named = role_of(value, self._roles)
            role = None if named is None else named.value
            if len(self._role_cache) < _ROLE_CACHE_SIZE:
                self._role_cache[value] = role
        return role  # type: ignore[return-value]

    def _call_role(self, call: dict[str, object], node: dict[str, object] | None) -> str | None:
        steps = self._role_steps
        if steps is None:
            return None
        # The role's path walked through objects (from the account's object when
        # the two paths begin alike); anything else crossed: the general reading,
        # which indexes lists.
        found: object = call
        if node is not None and self._role_in_context:
            found, steps = node, steps[1:]
        for step in steps:
            if type(found) is not dict:
                break
            found = found.get(step)
        else:
            return self.named_role(found)
        if found is None:
            return None
        return self.named_role(at_path(call, ".".join(self._role_steps or ())))

    def _account(self, call: dict[str, object]) -> str | None:
        """The call's account id where it is plain text at the first path with a value
        (and in the lookup table, if there is one); None for anything else."""
        for steps in self._account_paths:
            value = _at(call, steps)
            if value is _UNSURE:
                return None
            if value is None or value == "":
                continue
            if type(value) is not str:
                return None
            external = value.strip()
            if not external:
                return None
            account = external if self._table is None else self._table.get(external)
            if account is None or not 0 < len(account) <= MAX_ID:
                return None
            return account
        return None


def plain_account(value: object) -> str | None:
    """An account id given as text (no lookup table), as the source reads it; None
    for anything the source's own code is to decide."""
    if type(value) is not str:
        return None
    account = value.strip()
    return account if account and len(account) <= MAX_ID else None


_UNSURE = object()  # a path that crosses something other than an object
_MISSING = object()


def _at(document: dict[str, object], steps: tuple[str, ...]) -> object:
    """The value at `steps` through objects only; None where a step is missing,
    _UNSURE where one crosses anything but an object or nothing."""
    node: object = document
    for step in steps:
        if type(node) is not dict:
            return None if node is None else _UNSURE
        node = node.get(step)
    return node
