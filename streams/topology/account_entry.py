"""One account's row in the state table, and a bounded cache of decoded rows."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import BaseModel

from models.alerting.state import AccountAlertState
from models.health import Health
from models.state import AccountState, new_state


class StoredEntry(BaseModel):
    """The table row's JSON layout, parsed and serialised in one pass by pydantic-core."""

    state: AccountState
    alerts: AccountAlertState | None = None
    health: Health | None = None


@dataclass(slots=True)
class AccountEntry:
    """Events folded so far, the alert state and the last published health."""

    state: AccountState
    alerts: AccountAlertState | None
    health: Health | None
    # The JSON of the health last published, with it: the same bytes go to
    # health.scores and into the row, and into every row until the next one.
    published: tuple[Health, bytes] | None = None

    @classmethod
    def load(cls, raw: bytes | None, account_id: str) -> AccountEntry:
        if raw is None:
            return cls(new_state(account_id), None, None)
        stored = StoredEntry.model_validate_json(raw)
        return cls(stored.state, stored.alerts, stored.health)

    def published_as(self, health: Health, value: bytes) -> None:
        """`health` was published as `value` (its JSON): it is the last published."""
        self.health = health
        self.published = (health, value)

    def dump(self) -> bytes:
        """The row: the bytes `StoredEntry` serialises to, without serialising the
        unchanged health again."""
        health = self.health
        if health is None:
            health_json = b"null"
        elif self.published is not None and self.published[0] is health:
            health_json = self.published[1]
        else:  # set directly, or loaded with the row
            health_json = json_bytes(health)
            self.published = (health, health_json)
        alerts = json_bytes(self.alerts) if self.alerts is not None else b"null"
        state = json_bytes(self.state)
        return b"".join(
            (b'{"state":', state, b',"alerts":', alerts, b',"health":', health_json, b"}")
        )


def json_bytes(model: BaseModel) -> bytes:
    """`model` as JSON, the bytes of model_dump_json() without the round trip through str."""
    return model.__pydantic_serializer__.to_json(model)


def stored_health(raw: bytes | None) -> dict[str, Any] | None:
    """Only the last published health of a stored row, as JSON-ready data."""
    if raw is None:
        return None
    health: dict[str, Any] | None = orjson.loads(raw).get("health")
    return health


class EntryCache:
    """Decoded entries of recently active accounts, least recently used out first.

    Decoding a row costs more than scoring it; the cache holds exactly what was
    last written to the table, and is cleared on every rebalance, when another
    worker may have changed the accounts this one gets back.
    """

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, AccountEntry] = OrderedDict()

    def get(self, account_id: str) -> AccountEntry | None:
        entry = self._entries.get(account_id)
        if entry is not None:
            self._entries.move_to_end(account_id)
        return entry

    def put(self, account_id: str, entry: AccountEntry) -> None:
        self._entries[account_id] = entry
        self._entries.move_to_end(account_id)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
