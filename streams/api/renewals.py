"""`GET /portfolio/renewals`: the renewal desk, from PostgreSQL's records or this worker's own.

PostgreSQL keeps every renewal record any worker stored (`renewals`), so that
answer covers every account and every past quarter. Without PostgreSQL the
records are those the healths of this worker's accounts carry: what their
states hold, i.e. renewals decided within the model's longest window and those
not due yet. Either way the figures are models.renewals.kpis's, with the
accounts' current bands and this worker's model settings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from models.events import RenewalStatus
from models.health import Band
from models.renewals.figures import RenewalDesk
from models.renewals.kpis import Renewal, first_day_needed, renewal_desk, renewals_of
from models.renewals.settings import RenewalSettings
from streams.api.readers import HealthReader

# Undecided renewals of any date, and every other one due since the earliest quarter shown.
_RENEWALS = """
SELECT r.account_id, r.contract_id, r.status, r.renewal_date, r.arr,
       (r.decided_at AT TIME ZONE 'UTC')::date AS decided_on, h.band
FROM renewals AS r JOIN account_health AS h USING (account_id)
WHERE r.renewal_date >= $1 OR r.status = 'upcoming'
"""


def utc_today() -> date:
    return datetime.now(UTC).date()


class RenewalReader:
    def __init__(
        self,
        healths: HealthReader,
        settings: RenewalSettings,
        today: Callable[[], date] = utc_today,
    ) -> None:
        self.healths = healths
        self.settings = settings
        self.today = today

    async def desk(self) -> RenewalDesk:
        today = self.today()
        pool = await self.healths.pool()
        if pool is None:
            local = [r for h in self.healths.local_healths() for r in renewals_of(h)]
            return renewal_desk(local, today, self.settings, "worker")
        rows = await pool.fetch(_RENEWALS, first_day_needed(today, self.settings))
        stored = [
            Renewal(
                account_id=row["account_id"],
                contract_id=row["contract_id"],
                status=RenewalStatus(row["status"]),
                renewal_date=row["renewal_date"],
                arr=row["arr"],
                decided_on=row["decided_on"],
                band=Band(row["band"]),
            )
            for row in rows
        ]
        return renewal_desk(stored, today, self.settings, "postgresql")
