"""PostgreSQL: each stored health's growth assessment (account_health's growth columns).

Set in the transaction that stores the healths (sinks.postgres.write_health),
on the row only while it holds the very evaluation the growth belongs to, so
a replayed or older health never moves it back. Migration 006 adds the columns
and the views of the growth list.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from models.health import Health

UPDATE_GROWTH = """
UPDATE account_health SET growth_candidate = $2, growth_strength = $3, growth = $4
WHERE account_id = $1 AND updated_at = $5
"""

GrowthRow = tuple[str, bool | None, float | None, dict[str, Any] | None, datetime]


def growth_rows(latest: Iterable[Health]) -> list[GrowthRow]:
    """One row per health (the latest of each account), in the order given; a health
    published before growth was assessed clears the columns."""
    rows: list[GrowthRow] = []
    for health in latest:
        growth = health.growth
        if growth is None:
            rows.append((health.account_id, None, None, None, health.updated_at))
        else:
            data = growth.model_dump(mode="json")
            rows.append(
                (health.account_id, growth.candidate, growth.strength, data, health.updated_at)
            )
    return rows
