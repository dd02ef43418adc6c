"""One account's row in the state table, and a bounded cache of decoded rows."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from models.alert_state import AccountAlertState
from models.health import Health
from models.state import AccountState, new_state


@dataclass(slots=True)
class AccountEntry:
    """Events folded so far, the alert state and the last published health."""

    state: AccountState
    alerts: AccountAlertState | None
    health: Health | None

    @classmethod
    def load(cls, raw: dict[str, Any] | None, account_id: str) -> AccountEntry:
        if raw is None:
            return cls(new_state(account_id), None, None)
        alerts, health = raw.get("alerts"), raw.get("health")
        return cls(
            AccountState.model_validate(raw["state"]),
            AccountAlertState.model_validate(alerts) if alerts else None,
            Health.model_validate(health) if health else None,
        )

    def dump(self) -> dict[str, Any]:
        return {
            "state": self.state.model_dump(mode="json"),
            "alerts": self.alerts.model_dump(mode="json") if self.alerts else None,
            "health": self.health.model_dump(mode="json") if self.health else None,
        }


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
