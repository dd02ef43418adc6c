"""`GET /portfolio/growth`: expansion candidates best first, from PostgreSQL or this worker.

With PostgreSQL the candidates are those of every account (the view
`growth_candidates` of sinks/migrations/006_growth.sql); without it, those of
this worker's own accounts. Either way the figures are models.growth.figures's.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from models.growth.figures import (
    GrowthCandidate,
    GrowthList,
    candidate_of,
    growth_list,
    is_healthy_and_active,
)
from models.growth.settings import GrowthSettings
from models.health import Health
from streams.api.bodies import DEFAULT_LIMIT, MAX_LIMIT
from streams.api.readers import HealthReader

_FILTER = "($1::text IS NULL OR segment = $1) AND ($2::text IS NULL OR csm_owner = $2)"
_CANDIDATES = f"""
SELECT account_id, name, segment, region, csm_owner, arr, renewal_date, score, strength,
       drivers, updated_at
FROM growth_candidates
WHERE {_FILTER}
ORDER BY rank
"""
_HEALTHY = f"""
SELECT count(*) FROM account_health
WHERE band = 'healthy' AND lifecycle_status IS DISTINCT FROM 'churned' AND {_FILTER}
"""


class GrowthQuery(BaseModel):
    """The filters of `GET /portfolio/growth`; one left out, or empty, matches every account."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    segment: str | None = Field(default=None, description="Only this segment.")
    csm_owner: str | None = Field(
        default=None, description="Only accounts of this customer-success manager."
    )
    limit: int = Field(
        default=DEFAULT_LIMIT,
        ge=1,
        le=MAX_LIMIT,
        description="List at most this many candidates (the summary counts them all).",
    )

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> GrowthQuery:
        """Validate query parameters; raises pydantic.ValidationError on a bad or unknown one."""
        return cls.model_validate({name: value for name, value in params.items() if value != ""})

    def matches(self, health: Health) -> bool:
        return (self.segment is None or health.segment == self.segment) and (
            self.csm_owner is None or health.csm_owner == self.csm_owner
        )


class GrowthReader:
    def __init__(self, healths: HealthReader, settings: GrowthSettings) -> None:
        self.healths = healths
        self.settings = settings

    async def growth(self, query: GrowthQuery) -> GrowthList:
        pool = await self.healths.pool()
        if pool is None:
            chosen = [h for h in self.healths.local_healths() if query.matches(h)]
            candidates = [c for h in chosen if (c := candidate_of(h)) is not None]
            healthy = sum(1 for h in chosen if is_healthy_and_active(h))
            return growth_list(candidates, healthy, self.settings, "worker", query.limit)
        rows = await pool.fetch(_CANDIDATES, query.segment, query.csm_owner)
        healthy = await pool.fetchval(_HEALTHY, query.segment, query.csm_owner)
        stored = [GrowthCandidate.model_validate(dict(row)) for row in rows]
        return growth_list(stored, healthy, self.settings, "postgresql", query.limit)
