"""Answers for the HTTP API: this worker's own table first, PostgreSQL for the rest.

Any worker answers for any account: an account owned by another worker is read
from PostgreSQL, where every worker stores current health. Both sources give
`Health` values, so an answer has one shape wherever it came from.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping

import asyncpg

from models.health import Band, Health
from streams.api.bodies import AccountQuery, Portfolio, Tally
from streams.topology.account_entry import AccountEntry, stored_health

PoolGetter = Callable[[], Awaitable[asyncpg.Pool | None]]
# Entries evaluated but not yet written to the table (AccountProcessor.unwritten).
UnwrittenGetter = Callable[[], Mapping[str, tuple[int, AccountEntry]]]

_ROW_COLUMNS = """account_id, name, segment, region, line_of_business, csm_owner,
    lifecycle_stage, arr, renewal_date, score, band, confidence, components, drivers,
    model_version, state_version, updated_at, last_event_at, contracts"""
UNKNOWN_SEGMENT = "unknown"


def _health(raw: bytes | None) -> Health | None:
    data = stored_health(raw)
    return None if data is None else Health.model_validate(data)


class HealthReader:
    def __init__(
        self,
        table: Mapping[str, bytes],
        pool: PoolGetter,
        unwritten: UnwrittenGetter = dict,
    ) -> None:
        self.table = table
        self.pool = pool
        # Rows are written once per commit: what was evaluated since is newer.
        self.unwritten = unwritten

    async def account(self, account_id: str) -> Health | None:
        pending = self.unwritten().get(account_id)
        if pending is not None and pending[1].health is not None:
            return pending[1].health
        health = _health(self.table.get(account_id))
        if health is not None:
            return health
        pool = await self.pool()
        if pool is None:
            return None
        row = await pool.fetchrow(
            f"SELECT {_ROW_COLUMNS} FROM account_health WHERE account_id = $1", account_id
        )
        return None if row is None else Health.model_validate(dict(row))

    async def accounts(self, query: AccountQuery) -> list[Health]:
        pool = await self.pool()
        if pool is None:
            return self._local_accounts(query)
        rows = await pool.fetch(
            f"""SELECT {_ROW_COLUMNS} FROM account_health
                WHERE ($1::text IS NULL OR band = $1)
                  AND ($2::text IS NULL OR segment = $2)
                  AND ($3::text IS NULL OR csm_owner = $3)
                ORDER BY score ASC, account_id
                LIMIT $4""",
            query.band,
            query.segment,
            query.csm_owner,
            query.limit,
        )
        return [Health.model_validate(dict(row)) for row in rows]

    async def portfolio(self) -> Portfolio:
        pool = await self.pool()
        if pool is None:
            cells: Iterable[tuple[str, str | None, int, float]] = [
                (h.band, h.segment, 1, h.arr or 0.0) for h in self.local_healths()
            ]
        else:
            rows = await pool.fetch(
                """SELECT band, segment, count(*) AS accounts, coalesce(sum(arr), 0) AS arr
                   FROM account_health GROUP BY band, segment"""
            )
            cells = [(r["band"], r["segment"], r["accounts"], r["arr"]) for r in rows]
        return tally(cells)

    def _local_accounts(self, query: AccountQuery) -> list[Health]:
        chosen = [
            h
            for h in self.local_healths()
            if (query.band is None or h.band == query.band)
            and (query.segment is None or h.segment == query.segment)
            and (query.csm_owner is None or h.csm_owner == query.csm_owner)
        ]
        chosen.sort(key=lambda h: (h.score, h.account_id))
        return chosen[: query.limit]

    def local_healths(self) -> list[Health]:
        """The healths of this worker's own accounts, the latest evaluated first."""
        newer = {
            account_id: entry.health
            for account_id, (_, entry) in self.unwritten().items()
            if entry.health is not None
        }
        stored = (_health(raw) for account_id, raw in self.table.items() if account_id not in newer)
        return [*newer.values(), *(h for h in stored if h is not None)]


def tally(cells: Iterable[tuple[str, str | None, int, float]]) -> Portfolio:
    """Sum (band, segment, accounts, arr) cells into the portfolio answer."""
    bands = {band: Tally(accounts=0, arr=0.0) for band in Band}
    segments: dict[str, dict[Band, Tally]] = {}
    for band_name, segment, accounts, arr in cells:
        band = Band(band_name)
        per_segment = segments.setdefault(segment or UNKNOWN_SEGMENT, {})
        for cell in (bands[band], per_segment.setdefault(band, Tally(accounts=0, arr=0.0))):
            cell.accounts += accounts
            cell.arr += float(arr)
    return Portfolio(
        accounts=sum(cell.accounts for cell in bands.values()), bands=bands, segments=segments
    )
