"""PostgreSQL: the renewal records healths carry, and the renewal desk's settings.

Records go into `renewals` (sinks/migrations/005_renewals.sql), one row per
(account_id, contract_id) and never deleted, in the transaction that stores
their healths. A contract keeps its latest record in the order the account
state uses (models.state_records.add_latest: decided_at, status, renewal date,
ARR, new ARR), so replayed or out-of-order healths never move it back.
"""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from models.health import Band, Health
from models.renewals.settings import RenewalSettings
from models.state_records import RENEWAL_CODE, RENEWAL_STATUSES

# The state's status order: its packed status code is the position in this array, less 1.
_STATUS_ORDER = "ARRAY[" + ", ".join(f"'{status.value}'" for status in RENEWAL_STATUSES) + "]"


def _order(table: str) -> str:
    return (
        f"({table}.decided_at, array_position({_STATUS_ORDER}, {table}.status), "
        f"{table}.renewal_date, {table}.arr, coalesce({table}.new_arr, -1))"
    )


UPSERT_RENEWALS = f"""
INSERT INTO renewals (account_id, contract_id, status, renewal_date, arr, new_arr, decided_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (account_id, contract_id) DO UPDATE SET
    status = EXCLUDED.status, renewal_date = EXCLUDED.renewal_date, arr = EXCLUDED.arr,
    new_arr = EXCLUDED.new_arr, decided_at = EXCLUDED.decided_at
WHERE {_order("renewals")} < {_order("EXCLUDED")}
"""

RenewalRow = tuple[str, str, str, object, float, float | None, datetime]


def renewal_rows(batch: list[Health]) -> list[RenewalRow]:
    """The latest record per contract among the batch's healths, in key order (so that
    concurrent writers lock rows in one order)."""
    latest: dict[tuple[str, str], tuple[tuple[object, ...], RenewalRow]] = {}
    for health in batch:
        for c in health.contracts or ():
            key = (health.account_id, c.contract_id)
            order = (
                c.decided_at,
                RENEWAL_CODE[c.status],
                c.renewal_date,
                c.arr,
                -1.0 if c.new_arr is None else c.new_arr,
            )
            row: RenewalRow = (
                health.account_id,
                c.contract_id,
                c.status.value,
                c.renewal_date,
                c.arr,
                c.new_arr,
                c.decided_at,
            )
            seen = latest.get(key)
            if seen is None or seen[0] < order:
                latest[key] = (order, row)
    return [latest[key][1] for key in sorted(latest)]


_UPSERT_SETTINGS = """
INSERT INTO renewal_settings (only_row, model_version, fiscal_year_start_month, window_days,
    target_share, calibration_source, calibration_days_before, updated_at)
VALUES (true, $1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (only_row) DO UPDATE SET
    model_version = EXCLUDED.model_version,
    fiscal_year_start_month = EXCLUDED.fiscal_year_start_month,
    window_days = EXCLUDED.window_days, target_share = EXCLUDED.target_share,
    calibration_source = EXCLUDED.calibration_source,
    calibration_days_before = EXCLUDED.calibration_days_before,
    updated_at = EXCLUDED.updated_at
"""
_INSERT_CALIBRATION = """
INSERT INTO renewal_calibration (band, renewals, churned, churn_probability)
VALUES ($1, $2, $3, $4)
"""


async def write_renewal_settings(
    pool: asyncpg.Pool, settings: RenewalSettings, model_version: str
) -> None:
    """Replace the desk's settings and calibration with the model's, for the SQL views.

    Every worker writes them as it starts; workers of one deployment share a model."""
    calibration = settings.churn_calibration
    bands = [
        (band.value, outcomes.renewals, outcomes.churned, calibration.probability(band))
        for band in Band
        for outcomes in (calibration.outcomes(band),)
    ]
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            _UPSERT_SETTINGS,
            model_version,
            settings.fiscal_year_start_month,
            settings.window_days,
            settings.target_share,
            calibration.source,
            calibration.days_before,
            datetime.now(UTC),
        )
        await connection.execute("DELETE FROM renewal_calibration")
        await connection.executemany(_INSERT_CALIBRATION, bands)
