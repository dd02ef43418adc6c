"""Answers for the HTTP API: this worker's own table first, PostgreSQL for the rest.

Any worker answers for any account: an account owned by another worker is read
from PostgreSQL, where every worker stores current health. Both sources give
`Health` values, so an answer has one shape wherever it came from.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping

import asyncpg

from models.health import Band, Health
from models.lifecycle.figures import ChurnFigures, QuarterFigures, churn_figures
from models.lifecycle.rules import LifecycleRules
from models.lifecycle.status import LifecycleStatus
from streams.api.bodies import AccountQuery, LostTally, Portfolio, PortfolioLifecycle, Tally
from streams.topology.account_entry import AccountEntry, stored_health

PoolGetter = Callable[[], Awaitable[asyncpg.Pool | None]]
# Entries evaluated but not yet written to the table (AccountProcessor.unwritten).
UnwrittenGetter = Callable[[], Mapping[str, tuple[int, AccountEntry]]]

_ROW_COLUMNS = """account_id, name, segment, region, line_of_business, csm_owner,
    lifecycle_stage, arr, renewal_date, score, band, confidence, components, drivers,
    model_version, state_version, updated_at, last_event_at, lifecycle, contracts, experience,
    growth"""
UNKNOWN_SEGMENT = "unknown"
CHURNED = LifecycleStatus.CHURNED.value
# A portfolio cell: band, segment, lifecycle status, accounts, ARR, ARR lost.
Cell = tuple[str, str | None, str, int, float, float]
_FIGURES = "churns, arr_lost, resurrections, resurrection_rate, arr_won_back, rechurned"


def _health(raw: bytes | None) -> Health | None:
    data = stored_health(raw)
    return None if data is None else Health.model_validate(data)


class HealthReader:
    def __init__(
        self,
        table: Mapping[str, bytes],
        pool: PoolGetter,
        unwritten: UnwrittenGetter = dict,
        *,
        rechurn_within_days: int = LifecycleRules().rechurn_within_days,
    ) -> None:
        self.table = table
        self.pool = pool
        # The model's, for the lifecycle answer to say what `rechurned` counts.
        self.rechurn_within_days = rechurn_within_days
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
                  AND CASE WHEN $5::text IS NULL
                           THEN lifecycle_status IS DISTINCT FROM 'churned'
                           ELSE coalesce(lifecycle_status, 'active') = $5 END
                ORDER BY score ASC, account_id
                LIMIT $4""",
            query.band,
            query.segment,
            query.csm_owner,
            query.limit,
            query.status,
        )
        return [Health.model_validate(dict(row)) for row in rows]

    async def portfolio(self) -> Portfolio:
        pool = await self.pool()
        if pool is None:
            cells: Iterable[Cell] = [
                (h.band, h.segment, h.current_lifecycle.status, 1, h.arr or 0.0, _lost(h))
                for h in self.local_healths()
            ]
        else:
            rows = await pool.fetch(
                """SELECT band, segment, coalesce(lifecycle_status, 'active') AS status,
                          count(*) AS accounts, coalesce(sum(arr), 0) AS arr,
                          coalesce(sum(arr_lost), 0) AS arr_lost
                   FROM account_health GROUP BY 1, 2, 3"""
            )
            cells = [
                (r["band"], r["segment"], r["status"], r["accounts"], r["arr"], r["arr_lost"])
                for r in rows
            ]
        return tally(cells)

    async def lifecycle(self) -> PortfolioLifecycle:
        """Churned and resurrected accounts now, and the churn figures: from the views of
        migration 004, or computed the same way from this worker's own healths."""
        pool = await self.pool()
        if pool is None:
            healths = self.local_healths()
            churned = [h for h in healths if h.current_lifecycle.churned]
            back = [h for h in healths if h.current_lifecycle.status is LifecycleStatus.RESURRECTED]
            all_time, quarters = churn_figures(
                episode for h in healths for episode in h.current_lifecycle.episodes
            )
            lost = LostTally(accounts=len(churned), arr_lost=sum(_lost(h) for h in churned))
            resurrected = Tally(accounts=len(back), arr=sum(h.arr or 0.0 for h in back))
        else:
            now = await pool.fetchrow(
                """SELECT churned_accounts, arr_lost, resurrected_accounts, resurrected_arr
                   FROM portfolio_arr"""
            )
            totals = await pool.fetchrow(f"SELECT {_FIGURES} FROM resurrection_totals")
            rows = await pool.fetch(
                f"SELECT quarter, {_FIGURES} FROM resurrection_by_quarter ORDER BY quarter"
            )
            lost = LostTally(accounts=now["churned_accounts"], arr_lost=now["arr_lost"])
            resurrected = Tally(accounts=now["resurrected_accounts"], arr=now["resurrected_arr"])
            all_time = ChurnFigures.model_validate(dict(totals))
            quarters = [QuarterFigures.model_validate(dict(row)) for row in rows]
        return PortfolioLifecycle(
            churned=lost,
            resurrected=resurrected,
            rechurn_within_days=self.rechurn_within_days,
            all_time=all_time,
            quarters=quarters,
        )

    def _local_accounts(self, query: AccountQuery) -> list[Health]:
        chosen = [
            h
            for h in self.local_healths()
            if (query.band is None or h.band == query.band)
            and (query.segment is None or h.segment == query.segment)
            and (query.csm_owner is None or h.csm_owner == query.csm_owner)
            and _has_status(h, query.status)
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


def _lost(health: Health) -> float:
    """The ARR a churned account lost (0 for any other)."""
    lifecycle = health.current_lifecycle
    return float(lifecycle.arr_lost or 0.0) if lifecycle.churned else 0.0


def _has_status(health: Health, status: LifecycleStatus | None) -> bool:
    """Whether `health` has that lifecycle status; with none asked for, whether it has
    not churned (is in the active portfolio)."""
    current = health.current_lifecycle.status
    return current is not LifecycleStatus.CHURNED if status is None else current is status


def tally(cells: Iterable[Cell]) -> Portfolio:
    """Sum (band, segment, status, accounts, arr, arr lost) cells into the portfolio answer:
    churned accounts apart from the bands, resurrected ones in the bands and apart."""
    bands = {band: Tally(accounts=0, arr=0.0) for band in Band}
    segments: dict[str, dict[Band, Tally]] = {}
    churned = LostTally(accounts=0, arr_lost=0.0)
    resurrected = Tally(accounts=0, arr=0.0)
    for band_name, segment, status, accounts, arr, arr_lost in cells:
        if status == CHURNED:
            churned.accounts += accounts
            churned.arr_lost += float(arr_lost)
            continue
        if status == LifecycleStatus.RESURRECTED:
            resurrected.accounts += accounts
            resurrected.arr += float(arr)
        band = Band(band_name)
        per_segment = segments.setdefault(segment or UNKNOWN_SEGMENT, {})
        for cell in (bands[band], per_segment.setdefault(band, Tally(accounts=0, arr=0.0))):
            cell.accounts += accounts
            cell.arr += float(arr)
    return Portfolio(
        accounts=sum(cell.accounts for cell in bands.values()),
        bands=bands,
        segments=segments,
        churned=churned,
        resurrected=resurrected,
    )
