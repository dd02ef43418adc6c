"""What every source's mapping shares: paths into a payload, event ids, event times,
the account an item belongs to, roles, and turning a field's bad value into
Unmappable naming the vendor's field.

Paths are dotted (`context.groupId`, `data.object.customer`); a segment of
digits indexes a list (`items.data.0.price`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gateway.source import Unmappable
from models.events import Event, Role

E = TypeVar("E", bound=Event)

MAX_ID = 128
_ROLES = {role.value: role for role in Role}

Path = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^.\s]+(\.[^.\s]+)*$")]


class Strict(BaseModel):
    """Config models refuse fields they do not know: a typo is an error, not a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def at_path(document: object, path: str) -> object | None:
    """The value at dotted `path`, or None when any step is missing."""
    node = document
    for step in path.split("."):
        # Parsed JSON holds dicts: the exact type check spares the ABC's (slower) one.
        if type(node) is dict or isinstance(node, Mapping):
            node = node.get(step)
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return None
        if node is None:
            return None
    return node


def first_at(document: object, paths: Sequence[str]) -> tuple[object | None, str]:
    """The first non-empty value among `paths`, and the path it came from (the
    first path when none has one, for messages)."""
    for path in paths:
        value = at_path(document, path)
        if value is not None and value != "":
            return value, path
    return None, paths[0]


def identifier(value: object, field: str) -> str:
    """A vendor id as text: strings as they are, integers in decimal; an expanded
    object (`{"id": ...}`, as Stripe sends when asked) stands for its id."""
    if type(value) is not str:  # the usual case first: the checks below cost more
        if isinstance(value, Mapping) and "id" in value:
            return identifier(value["id"], f"{field}.id")
        if isinstance(value, bool) or not isinstance(value, int):
            raise Unmappable(f"{field}: expected an id (string or integer), got {_kind(value)}")
    text = str(value).strip()
    if not text:
        raise Unmappable(f"{field}: empty id")
    return text


def number(value: object, field: str) -> float:
    """A finite number, from a JSON number or numeric text ("95,000" reads as 95000)."""
    if isinstance(value, str):
        try:
            parsed = float(value.replace(",", "").strip())
        except ValueError:
            raise Unmappable(f"{field}: not a number: {value[:32]!r}") from None
        return number(parsed, field)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unmappable(f"{field}: expected a number, got {_kind(value)}")
    if not math.isfinite(value):
        raise Unmappable(f"{field}: not a finite number")
    return float(value)


def event_id(source: str, *parts: str) -> str:
    """`source:part:part…`; past 128 characters, a SHA-256 of the whole instead, so the
    same vendor id always gives the same event id (the worker drops a repeat)."""
    whole = ":".join((source, *parts))
    if len(whole) <= MAX_ID:
        return whole
    return f"{source}:sha256:{hashlib.sha256(whole.encode()).hexdigest()}"


def clipped(text: str, limit: int = MAX_ID) -> str:
    """Free text (a feature or page name) cut to what the event field holds."""
    return text if len(text) <= limit else text[:limit]


def timestamp(value: object, field: str) -> datetime:
    """An event time: RFC 3339 / ISO 8601 text with an offset, or Unix seconds."""
    if type(value) is not str and isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise Unmappable(f"{field}: not a Unix time: {value!r}") from None
    if not isinstance(value, str) or not value.strip():
        raise Unmappable(f"{field}: expected a timestamp, got {_kind(value)}")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Unmappable(f"{field}: not an ISO 8601 timestamp: {value[:64]!r}") from None
    if moment.tzinfo is None:
        raise Unmappable(f"{field}: timestamp without a UTC offset: {value[:64]!r}")
    return moment


def day(value: object, field: str) -> date:
    """A calendar date: YYYY-MM-DD, or the UTC day of a timestamp."""
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise Unmappable(f"{field}: not a date: {value!r}") from None
    return timestamp(value, field).astimezone(UTC).date()


def role_of(value: object, aliases: Mapping[str, Role]) -> Role | None:
    """The role a vendor value names (an alias from the config, or one of the six
    role names in any case, spaces or dashes for underscores); None otherwise."""
    if not isinstance(value, str):
        return None
    key = normal_key(value)
    if key in aliases:
        return aliases[key]
    return _ROLES.get(key)


def normal_key(text: str) -> str:
    return "_".join(text.strip().lower().replace("-", " ").split())


def build(cls: type[E], values: dict[str, object], origin: Mapping[str, str], where: str) -> E:
    """Validate an event; a bad value becomes Unmappable naming the vendor field it
    came from (`origin` maps event fields to vendor paths), prefixed by `where`."""
    try:
        return cls.model_validate(values)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        loc = error["loc"]
        field = str(loc[0]) if loc else "(event)"
        raise Unmappable(f"{where}{origin.get(field, field)}: {error['msg']}") from None


def _kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__


class AccountRule(Strict):
    """Where an item's account id comes from.

    `path`: one path or a list tried in order (the first with a value wins).
    `lookup` / `lookup_file`: a table of external ids -> account ids (inline, or
    a CSV file of `external_id,account_id` rows); with a table, only ids it
    lists are mapped. `when_unknown`: an item with no value at the paths, or
    one the table does not list, is refused (`reject`, the whole request gets
    400) or acknowledged and counted as ignored (`ignore`).
    """

    path: list[Path] = Field(min_length=1)
    lookup: dict[str, Annotated[str, Field(min_length=1, max_length=MAX_ID)]] = Field(
        default_factory=dict
    )
    lookup_file: str | None = None
    when_unknown: Literal["reject", "ignore"] = "reject"

    @field_validator("path", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class Accounts:
    """An AccountRule with its lookup table loaded (config.py reads the CSV)."""

    def __init__(self, rule: AccountRule, table: Mapping[str, str] | None = None) -> None:
        self.paths = tuple(rule.path)
        merged = {**(table or {}), **rule.lookup}
        self.table: Mapping[str, str] | None = merged if (rule.lookup_file or rule.lookup) else None
        self.ignore_unknown = rule.when_unknown == "ignore"

    def of(self, document: object, where: str = "") -> str | None:
        """The account id of `document`; None when it is to be ignored."""
        value, path = first_at(document, self.paths)
        if value is None:
            tried = " / ".join(self.paths)
            self._unknown(f"{where}{path}: no account id (nothing at {tried})")
            return None
        external = identifier(value, where + path)
        if self.table is not None:
            account = self.table.get(external)
            if account is None:
                self._unknown(f"{where}{path}: {external[:64]!r} is not in the lookup table")
                return None
            return account
        if len(external) > MAX_ID:
            raise Unmappable(f"{where}{path}: account id longer than {MAX_ID} characters")
        return external

    def _unknown(self, message: str) -> None:
        """Ignore the item, or refuse the request, as `when_unknown` says."""
        if not self.ignore_unknown:
            raise Unmappable(message)
