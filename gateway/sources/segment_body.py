"""The Segment source's body path: a request's track and page calls to logins,
reading only the fields they map.

A Segment batch of a hundred calls is ~70 KB of JSON, most of it context the
gateway never reads (library, IP, user agent, page, campaign, properties).
Parsing all of it with orjson into dicts and freeing them again was a third
of the gateway's time on such a request. Here msgspec decodes the body into
structs that hold only the fields a login is made of (the call's type,
event, name, user, message id and time, the account and role paths of the
configuration, a page's `properties.name`), skipping the rest. Each call's
login is checked by `FastLogins.record`, and each account's logins are
encoded at once, as the batch envelope `gateway.messages.deliver_events`
would make of them: the body path hands over the request's messages.

Like `segment_fast`, it only ever accepts: a body it is not sure of gives
None, and the gateway then parses it with orjson and maps it with the
source's own code, which decides (and words any refusal). That is any body
with a call other than a track, page or ignored call, a field of another
shape than expected (a context that is not an object), or bytes that are not
UTF-8, which msgspec does not check inside fields it skips. One difference
is left: a number beyond a float's range in a field the gateway does not
read (`1e400` in a property) is refused by orjson and skipped here.
`tests/unit/gateway/test_segment_body.py` checks the rest against the
source's own mapping with generated bodies.

It serves the usual configuration only: the account at one path of two steps
(`context.groupId` by default), no lookup table.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

import msgspec

from gateway.messages import Delivery, Message
from gateway.sources.segment_fast import (
    LOGINS,
    PAGE_NAME,
    FastLogins,
    LoginRecord,
    plain_account,
)
from models.events import MAX_BATCH_EVENTS
from models.validation import MAX_MESSAGE_BYTES

# The call fields read at the top of every call, in this order.
_TOP = ("type", "event", "name", "userId", "messageId", "timestamp")

# A trie of JSON paths: each key maps to its children, or to None for a leaf.
_Trie = dict[str, Any]


class SegmentBodies:
    """Maps a Segment body to logins straight from its bytes; None where the
    source's own code is to decide."""

    def __init__(
        self,
        fast: FastLogins,
        trie: _Trie,
        account: tuple[str, ...],
        role: tuple[str, ...] | None,
        track_events: frozenset[str] | None,
        pages: bool,
        ignored_kinds: frozenset[str],
    ) -> None:
        self._fast = fast
        self._track_events = track_events
        self._pages = pages
        self._ignored_kinds = ignored_kinds
        # gc=False: decoded JSON holds no reference cycles, and untracked structs
        # spare the cyclic collector a hundred objects a call.
        fields = _fields("SegmentCall", trie)
        call_type = msgspec.defstruct("SegmentCall", fields, gc=False)
        # The body: one call, or a batch of calls; `batch` comes last, so a
        # call's fields have the same attribute names on both.
        batch = list[call_type] | None | msgspec.UnsetType  # type: ignore[valid-type]
        body_type = msgspec.defstruct(
            "SegmentBody",
            [*fields, ("batch", batch, msgspec.UNSET)],
            gc=False,
        )
        self._decoder = msgspec.json.Decoder(body_type)
        self._top = attrgetter(*(f"f{list(trie).index(name)}" for name in _TOP))
        self._account = _getter(trie, account)
        self._page_name = _getter(trie, PAGE_NAME)
        self._role = _getter(trie, role) if role is not None else None

    @classmethod
    def build(
        cls,
        fast: FastLogins,
        account_paths: tuple[str, ...],
        table: object,
        role_path: str | None,
        track_events: frozenset[str] | None,
        pages: bool,
        ignored_kinds: frozenset[str],
    ) -> SegmentBodies | None:
        """The body path for this configuration, or None where it does not serve it."""
        account = tuple(account_paths[0].split(".")) if len(account_paths) == 1 else ()
        if len(account) != 2 or table is not None:
            return None
        role = tuple(role_path.split(".")) if role_path is not None else None
        paths = [(name,) for name in _TOP] + [account, PAGE_NAME] + ([role] if role else [])
        trie = _trie(paths)
        if trie is None or "batch" in trie:
            return None  # one path ends where another goes on: the general reading
        return cls(fast, trie, account, role, track_events, pages, ignored_kinds)

    def map(self, body: bytes) -> Delivery | None:
        """The messages of `body`'s logins, one envelope per account in the order the
        accounts came; None where the source's own code is to decide."""
        if not body.isascii():
            try:
                body.decode("utf-8")  # orjson refuses what is not UTF-8 anywhere
            except UnicodeDecodeError:
                return None
        try:
            document: Any = self._decoder.decode(body)
        except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
            return None
        batch = document.batch
        if batch is msgspec.UNSET:
            calls = [document]
        elif batch is None or len(batch) > MAX_BATCH_EVENTS:
            return None
        else:
            calls = batch
        accounts: dict[str, list[LoginRecord]] = {}
        ignored = 0
        top, record, fast = self._top, self._fast.record, self._fast
        for call in calls:
            kind, event, name, user, message, moment = top(call)
            feature: object
            # The source's own order of decisions (SegmentSource._call and _login).
            if kind == "track":
                if type(event) is not str or not event.strip():
                    return None  # refused by the source
                if self._track_events is not None and event not in self._track_events:
                    ignored += 1
                    continue
                feature = event
            elif kind == "page":
                if not self._pages:
                    ignored += 1
                    continue
                feature = name or self._page_name(call)
            elif type(kind) is str and kind in self._ignored_kinds:
                ignored += 1
                continue
            else:
                return None
            if user is None or user == "":
                ignored += 1  # an anonymous visitor
                continue
            account = plain_account(self._account(call))
            if account is None:
                return None
            role = None if self._role is None else fast.named_role(self._role(call))
            login = record(kind, feature, user, message, moment, account, role)
            if login is None:
                return None
            logins = accounts.get(account)
            if logins is None:
                accounts[account] = [login]
            else:
                logins.append(login)
        return _delivery(accounts, len(calls) - ignored, ignored)


def _delivery(accounts: dict[str, list[LoginRecord]], count: int, ignored: int) -> Delivery | None:
    """An envelope of each account's logins; None where one will not fit a message
    (deliver_events splits it) or holds text the model refuses."""
    messages = []
    try:
        for account, logins in accounts.items():
            value = LOGINS.encode(logins)
            if len(value) > MAX_MESSAGE_BYTES:
                return None
            messages.append(Message("logins", account.encode(), value))
    except UnicodeEncodeError:
        return None
    return Delivery(messages, {"logins": count} if count else {}, ignored)


def _trie(paths: list[tuple[str, ...]]) -> _Trie | None:
    """The paths as a trie; None where one path ends where another goes on."""
    trie: _Trie = {}
    for path in paths:
        node = trie
        for depth, step in enumerate(path):
            leaf = depth == len(path) - 1
            if step in node:
                child = node[step]
                if (child is None) != leaf:
                    return None
                if not leaf:
                    node = child
            elif leaf:
                node[step] = None
            else:
                node = node.setdefault(step, {})
    return trie


def _fields(name: str, trie: _Trie) -> list[tuple[str, Any, Any]]:
    """Struct fields of the trie's keys, under attribute names of their own (a key
    may be any text): a leaf decodes to any JSON value, an inner key to a struct,
    empty when the key is missing (null there is not an object: the body is
    left to the general reading)."""
    fields: list[tuple[str, Any, Any]] = []
    for index, (key, children) in enumerate(trie.items()):
        if children is None:
            fields.append((f"f{index}", object, msgspec.field(default=None, name=key)))
        else:
            inner = msgspec.defstruct(
                f"{name}_{index}", _fields(f"{name}_{index}", children), gc=False
            )
            fields.append((f"f{index}", inner, msgspec.field(default_factory=inner, name=key)))
    return fields


def _getter(trie: _Trie, path: tuple[str, ...]) -> attrgetter[Any]:
    """What reads the value at `path` of a struct of `trie`."""
    names = []
    node = trie
    for step in path:
        names.append(f"f{list(node).index(step)}")
        node = node[step] or {}
    return attrgetter(".".join(names))
