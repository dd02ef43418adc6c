"""`GET /portfolio/cx`: CX figures per persona and per dimension, from PostgreSQL or this worker.

Every worker stores its accounts' current healths, their CX counts included,
in PostgreSQL (`account_health.experience`), so that answer covers every
account; without PostgreSQL the counts are those the healths of this
worker's own accounts carry. Either way the figures are
models.experience.figures's, over the accounts that have not churned, with
this worker's model's windows.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from models.experience.counts import Experience
from models.experience.figures import (
    CustomerExperience,
    Dimension,
    Member,
    customer_experience,
    member_of,
)
from models.lifecycle.status import LifecycleStatus
from models.model_config import Windows
from streams.api.readers import HealthReader

_MEMBERS = """
SELECT segment, region, line_of_business, csm_owner,
       lifecycle_status IS NOT DISTINCT FROM $1 AS churned, experience
FROM account_health
WHERE experience IS NOT NULL
"""


class ExperienceQuery(BaseModel):
    """The query of `GET /portfolio/cx`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    by: Dimension = Field(
        default=Dimension.SEGMENT,
        description="Group the accounts by this profile field, besides the total.",
    )

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> ExperienceQuery:
        """Validate query parameters; raises pydantic.ValidationError on a bad or unknown one."""
        return cls.model_validate({name: value for name, value in params.items() if value != ""})


class ExperienceReader:
    def __init__(self, healths: HealthReader, windows: Windows) -> None:
        self.healths = healths
        self.windows = windows

    async def figures(self, query: ExperienceQuery) -> CustomerExperience:
        pool = await self.healths.pool()
        if pool is None:
            local = (member_of(health) for health in self.healths.local_healths())
            members = [member for member in local if member is not None]
            return customer_experience(members, query.by, self.windows, "worker")
        rows = await pool.fetch(_MEMBERS, LifecycleStatus.CHURNED.value)
        stored = [
            Member(
                segment=row["segment"],
                region=row["region"],
                line_of_business=row["line_of_business"],
                csm_owner=row["csm_owner"],
                churned=row["churned"],
                experience=Experience.model_validate(row["experience"]),
            )
            for row in rows
        ]
        return customer_experience(stored, query.by, self.windows, "postgresql")
