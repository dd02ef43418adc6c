"""Answers for the HTTP API: this worker's own table first, PostgreSQL for the rest.

Any worker answers for any account: an account owned by another worker is read
from PostgreSQL, where every worker stores current health.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg

from streams.account_entry import stored_health

PoolGetter = Callable[[], Awaitable[asyncpg.Pool | None]]

_ROW_COLUMNS = """account_id, name, segment, region, line_of_business, csm_owner,
    lifecycle_stage, arr, renewal_date, score, band, confidence, components, drivers,
    model_version, updated_at, last_event_at"""


def _json_row(row: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key in ("renewal_date", "updated_at", "last_event_at"):
        if out.get(key) is not None:
            out[key] = out[key].isoformat()
    return out


class HealthReader:
    def __init__(self, table: Mapping[str, bytes], pool: PoolGetter) -> None:
        self.table = table
        self.pool = pool

    async def account(self, account_id: str) -> dict[str, Any] | None:
        health = stored_health(self.table.get(account_id))
        if health is not None:
            return health
        pool = await self.pool()
        if pool is None:
            return None
        row = await pool.fetchrow(
            f"SELECT {_ROW_COLUMNS} FROM account_health WHERE account_id = $1", account_id
        )
        return None if row is None else _json_row(row)

    async def accounts(
        self, *, band: str | None, segment: str | None, csm_owner: str | None, limit: int
    ) -> list[dict[str, Any]]:
        pool = await self.pool()
        if pool is None:
            return self._local_accounts(band, segment, csm_owner, limit)
        rows = await pool.fetch(
            f"""SELECT {_ROW_COLUMNS} FROM account_health
                WHERE ($1::text IS NULL OR band = $1)
                  AND ($2::text IS NULL OR segment = $2)
                  AND ($3::text IS NULL OR csm_owner = $3)
                ORDER BY score ASC, account_id
                LIMIT $4""",
            band,
            segment,
            csm_owner,
            limit,
        )
        return [_json_row(row) for row in rows]

    async def portfolio(self) -> dict[str, Any]:
        pool = await self.pool()
        if pool is None:
            healths = self._local_healths()
            rows = [
                {
                    "band": h["band"],
                    "segment": h.get("segment"),
                    "accounts": 1,
                    "arr": h.get("arr") or 0.0,
                }
                for h in healths
            ]
        else:
            rows = [
                dict(r)
                for r in await pool.fetch(
                    """SELECT band, segment, count(*) AS accounts, coalesce(sum(arr), 0) AS arr
                   FROM account_health GROUP BY band, segment"""
                )
            ]
        by_band: dict[str, dict[str, float]] = {}
        by_segment: dict[str, dict[str, dict[str, float]]] = {}
        for row in rows:
            band = by_band.setdefault(row["band"], {"accounts": 0, "arr": 0.0})
            band["accounts"] += row["accounts"]
            band["arr"] += float(row["arr"])
            segment = by_segment.setdefault(row["segment"] or "unknown", {})
            cell = segment.setdefault(row["band"], {"accounts": 0, "arr": 0.0})
            cell["accounts"] += row["accounts"]
            cell["arr"] += float(row["arr"])
        total = sum(b["accounts"] for b in by_band.values())
        return {"accounts": total, "bands": by_band, "segments": by_segment}

    def _local_accounts(
        self, band: str | None, segment: str | None, csm_owner: str | None, limit: int
    ) -> list[dict[str, Any]]:
        healths = self._local_healths()
        chosen = [
            h
            for h in healths
            if (band is None or h["band"] == band)
            and (segment is None or h.get("segment") == segment)
            and (csm_owner is None or h.get("csm_owner") == csm_owner)
        ]
        chosen.sort(key=lambda h: (h["score"], h["account_id"]))
        return chosen[:limit]

    def _local_healths(self) -> list[dict[str, Any]]:
        return [h for h in map(stored_health, self.table.values()) if h is not None]
