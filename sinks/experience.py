"""PostgreSQL: each account's customer-experience counts per UTC day (`experience_days`).

Written in the transaction that stores the healths (sinks/postgres.py): per
account and UTC day of `updated_at`, the counts of the latest health of that
day, with the profile's segment, region, line of business and owner and the
lifecycle status it had. A replayed or older health never replaces a newer one.
The views of sinks/migrations/007_experience.sql read it for the figures over time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from models.health import Health

UPSERT_EXPERIENCE_DAYS = """
INSERT INTO experience_days (account_id, day, updated_at, segment, region, line_of_business,
    csm_owner, lifecycle_status, experience)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (account_id, day) DO UPDATE SET
    updated_at = EXCLUDED.updated_at, segment = EXCLUDED.segment, region = EXCLUDED.region,
    line_of_business = EXCLUDED.line_of_business, csm_owner = EXCLUDED.csm_owner,
    lifecycle_status = EXCLUDED.lifecycle_status, experience = EXCLUDED.experience
WHERE experience_days.updated_at <= EXCLUDED.updated_at
"""

DayRow = tuple[str, date, datetime, str | None, str | None, str | None, str | None, str, Any]


def experience(health: Health) -> dict[str, Any] | None:
    """The counts as the `experience` columns hold them (null when the health has none)."""
    return None if health.experience is None else health.experience.model_dump(mode="json")


def experience_day_rows(batch: list[Health]) -> list[DayRow]:
    """Per account and UTC day, the latest health of the batch that carries counts, in key
    order (so that concurrent writers lock rows in one order)."""
    latest: dict[tuple[str, date], Health] = {}
    for health in batch:
        if health.experience is None:
            continue
        key = (health.account_id, health.updated_at.astimezone(UTC).date())
        seen = latest.get(key)
        if seen is None or seen.updated_at <= health.updated_at:
            latest[key] = health
    return [
        (
            account_id,
            day,
            h.updated_at,
            h.segment,
            h.region,
            h.line_of_business,
            h.csm_owner,
            h.current_lifecycle.status.value,
            experience(h),
        )
        for (account_id, day), h in sorted(latest.items())
    ]
