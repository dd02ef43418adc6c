"""An account's row: what it holds, written the way pydantic writes the row's model."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from models.alerting.evaluate import evaluate_alerts
from models.events import LoginEvent
from models.model_config import load_model
from models.scoring import score
from models.state import apply_event, new_state
from streams.topology.account_entry import AccountEntry, StoredEntry, json_bytes

MODEL = load_model()
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)


def entry_with_history() -> AccountEntry:
    entry = AccountEntry(new_state("acme"), None, None)
    for n in range(5):
        login = LoginEvent(
            event_id=f"e{n}",
            account_id="acme",
            occurred_at=datetime(2026, 3, 1, n, tzinfo=UTC),
            user_id=f"u{n}",
        )
        apply_event(entry.state, login, MODEL, NOW)
    return entry


def pydantic_row(entry: AccountEntry) -> bytes:
    stored = StoredEntry.model_construct(
        state=entry.state, alerts=entry.alerts, health=entry.health
    )
    return StoredEntry.__pydantic_serializer__.to_json(stored)


def test_a_row_is_byte_for_byte_what_the_row_model_serialises_to() -> None:
    entry = entry_with_history()
    assert entry.dump() == pydantic_row(entry)  # no health, no alerts yet
    health = score(entry.state, NOW, MODEL)
    entry.alerts, _ = evaluate_alerts(None, health, NOW, MODEL.alerts)
    entry.published_as(health, json_bytes(health))
    assert entry.dump() == pydantic_row(entry)
    assert AccountEntry.load(entry.dump(), "acme") == AccountEntry(
        entry.state, entry.alerts, health
    )


def test_a_health_set_directly_is_not_written_with_the_json_of_the_last_published() -> None:
    entry = entry_with_history()
    first = score(entry.state, NOW, MODEL)
    entry.published_as(first, json_bytes(first))
    later = score(entry.state, NOW.replace(day=20), MODEL)
    entry.health = later
    assert orjson.loads(entry.dump())["health"]["updated_at"].startswith("2026-03-20")
    assert entry.dump() == pydantic_row(entry)
