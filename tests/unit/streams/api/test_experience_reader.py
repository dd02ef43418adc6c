"""`GET /portfolio/cx`: the same figures from PostgreSQL's rows as from the worker's own."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from models.experience.figures import CustomerExperience, Dimension
from models.health import Health
from streams.api.experience import ExperienceQuery, ExperienceReader
from streams.api.web import query_error
from tests.support import cx_history as fixture
from tests.support.openapi import component_validator, load_document
from tests.support.renewal_history import flat
from tests.unit.models.experience.test_experience_fixture import NOW
from tests.unit.models.test_model_factories import MODEL
from tests.unit.streams.api.test_openapi import reader, table_with


class ExperienceRows:
    """What the reader's query gets from account_health: jsonb decoded, as asyncpg does."""

    def __init__(self, healths: list[Health]) -> None:
        self.healths = healths

    async def fetch(self, sql: str, churned: str) -> list[dict[str, Any]]:
        return [
            {
                "segment": h.segment,
                "region": h.region,
                "line_of_business": h.line_of_business,
                "csm_owner": h.csm_owner,
                "churned": h.current_lifecycle.status.value == churned,
                "experience": orjson.loads(orjson.dumps(h.experience.model_dump(mode="json"))),
            }
            for h in self.healths
            if h.experience is not None
        ]


def tables(healths: list[Health]) -> dict[str, bytes]:
    rows: dict[str, bytes] = {}
    for health in healths:
        rows.update(table_with(health))
    return rows


async def answers(by: Dimension) -> tuple[CustomerExperience, CustomerExperience]:
    healths = fixture.healths(NOW, MODEL)
    query = ExperienceQuery(by=by)
    local = await ExperienceReader(reader(tables(healths), None), MODEL.windows).figures(query)
    pool: Any = ExperienceRows(healths)
    remote = await ExperienceReader(reader({}, pool), MODEL.windows).figures(query)
    return local, remote


@pytest.mark.parametrize("by", list(Dimension))
async def test_postgres_and_the_worker_give_the_same_figures(by: Dimension) -> None:
    local, remote = await answers(by)
    assert (local.records, remote.records) == ("worker", "postgresql")
    assert local.model_dump(exclude={"records"}) == remote.model_dump(exclude={"records"})
    assert flat(local.total.model_dump(mode="json")) == pytest.approx(flat(fixture.EXPECTED_TOTAL))


async def test_the_answer_matches_its_schema_exactly() -> None:
    local, _ = await answers(Dimension.CSM_OWNER)
    body = orjson.loads(local.model_dump_json())
    component_validator(load_document(), "CustomerExperience").validate(body)
    assert sorted(body["groups"]) == sorted(fixture.EXPECTED_OWNERS)


def test_the_dimension_defaults_to_the_segment_and_an_empty_one_counts_as_absent() -> None:
    assert ExperienceQuery.parse({}).by is Dimension.SEGMENT
    assert ExperienceQuery.parse({"by": ""}).by is Dimension.SEGMENT
    assert ExperienceQuery.parse({"by": "line_of_business"}).by is Dimension.LINE_OF_BUSINESS


def test_a_bad_or_unknown_query_parameter_is_a_400_that_names_it() -> None:
    for params, named in (({"by": "colour"}, "by"), ({"role": "x"}, "role")):
        with pytest.raises(ValidationError) as caught:
            ExperienceQuery.parse(params)
        assert query_error(caught.value).error.startswith(f"{named}: ")
