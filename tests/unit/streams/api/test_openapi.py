"""docs/openapi.json: generated from the answer models, valid OpenAPI 3.1, and true to the views."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import faust
import orjson
import pytest
from openapi_spec_validator import validate
from pydantic import ValidationError

from models.events import RenewalStatus
from models.health import Band, Contract, Driver, Health
from models.model_config import load_model
from models.renewals.kpis import renewal_desk, renewals_of
from models.state import new_state
from streams.api.bodies import AccountList, AccountQuery, UnknownAccount
from streams.api.growth import GrowthQuery, GrowthReader
from streams.api.openapi import DOCUMENT, openapi_document, render_openapi
from streams.api.readers import HealthReader, tally
from streams.api.web import UNAUTHORIZED, attach_views, query_error
from streams.topology.account_entry import AccountEntry
from tests.support.growth_history import SAMPLE_GROWTH
from tests.support.openapi import component_validator, load_document

HEALTH = Health(
    account_id="acme",
    score=37.25,
    band=Band.CRITICAL,
    components={"engagement": 20.5, "support": 61.0, "sentiment": None, "commercial": 40.0},
    drivers=[
        Driver(
            code="engagement.recency",
            text="Nobody logged in for 23 days",
            impact=-9.5,
            component="engagement",
        ),
        Driver(code="support.csat", text="CSAT is 92 %", impact=2.0, component="support"),
    ],
    confidence=0.8,
    updated_at=datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC),
    model_version="2025.1",
    name="Acme & Sons",
    segment="enterprise",
    region="emea",
    line_of_business=None,
    csm_owner="dana",
    arr=250_000.0,
    renewal_date=date(2026, 5, 1),
    lifecycle_stage="renewal",
    last_event_at=datetime(2026, 3, 1, 11, 0, tzinfo=UTC),
    contracts=[
        Contract(
            contract_id="acme-2025",
            status=RenewalStatus.UPCOMING,
            renewal_date=date(2026, 5, 1),
            arr=250_000.0,
            decided_at=datetime(2026, 2, 1, 9, 0, tzinfo=UTC),
        )
    ],
)


GROWTH = SAMPLE_GROWTH


def postgres_row(health: Health) -> dict[str, Any]:
    """The account_health row as asyncpg hands it back (jsonb decoded, timestamptz in UTC)."""
    row = health.model_dump()
    row["band"] = health.band.value
    row["components"] = json.loads(json.dumps(health.components))
    row["drivers"] = json.loads(json.dumps([d.model_dump() for d in health.drivers]))
    row["contracts"] = [c.model_dump(mode="json") for c in health.contracts or ()]
    return row


class FakePool:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    async def fetchrow(self, sql: str, account_id: str) -> dict[str, Any] | None:
        return next((r for r in self.rows if r["account_id"] == account_id), None)

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        return self.rows


def table_with(health: Health) -> dict[str, bytes]:
    entry = AccountEntry(new_state(health.account_id), None, health)
    return {health.account_id: entry.dump()}


def reader(table: dict[str, bytes], pool: FakePool | None) -> HealthReader:
    async def get_pool() -> Any:
        return pool

    return HealthReader(table, get_pool)


def test_committed_openapi_matches_the_code() -> None:
    assert DOCUMENT.read_text() == render_openapi(), (
        "docs/openapi.json is stale: run `python -m streams.api.openapi` and commit the result"
    )


def test_the_document_is_valid_openapi_3_1() -> None:
    document = openapi_document()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_view_is_described_and_nothing_else() -> None:
    app = faust.App("openapi-test", broker="kafka://localhost:1", autodiscover=False)
    pipeline: Any = SimpleNamespace(settings=SimpleNamespace(api_token=None), model=load_model())
    attach_views(app, pipeline, reader({}, None))
    assert set(app.web.views) == set(openapi_document()["paths"])


def test_only_the_probes_metrics_and_the_document_are_open() -> None:
    paths = openapi_document()["paths"]
    open_routes = {path for path, item in paths.items() if item["get"].get("security") == []}
    assert open_routes == {"/healthz", "/readyz", "/metrics", "/openapi.json"}
    for path in set(paths) - open_routes:
        assert "401" in paths[path]["get"]["responses"], path


async def test_table_and_postgres_answers_for_an_account_are_identical() -> None:
    from_table = await reader(table_with(HEALTH), None).account("acme")
    from_postgres = await reader({}, FakePool([postgres_row(HEALTH)])).account("acme")
    assert from_table is not None and from_postgres is not None
    assert orjson.loads(from_table.model_dump_json()) == orjson.loads(
        from_postgres.model_dump_json()
    )
    assert from_table.model_dump_json() == HEALTH.model_dump_json()


async def test_account_lists_from_the_table_and_from_postgres_are_identical() -> None:
    query = AccountQuery.parse({"band": "critical", "segment": "enterprise"})
    local = AccountList(accounts=await reader(table_with(HEALTH), None).accounts(query))
    remote = AccountList(
        accounts=await reader({}, FakePool([postgres_row(HEALTH)])).accounts(query)
    )
    assert orjson.loads(local.model_dump_json()) == orjson.loads(remote.model_dump_json())
    assert [h.account_id for h in local.accounts] == ["acme"]


async def test_answers_match_their_schemas_exactly() -> None:
    document = load_document()
    found = await reader(table_with(HEALTH), None).account("acme")
    grown = HEALTH.model_copy(update={"band": Band.HEALTHY, "growth": GROWTH})
    assert found is not None
    answers = {
        "Health": found,
        "AccountList": AccountList(accounts=[found]),
        "Portfolio": await reader(table_with(HEALTH), None).portfolio(),
        "PortfolioLifecycle": await reader(table_with(HEALTH), None).lifecycle(),
        "UnknownAccount": UnknownAccount(error="unknown account", account_id="x"),
        "ErrorBody": UNAUTHORIZED,
        "RenewalDesk": renewal_desk(
            renewals_of(found), date(2026, 3, 1), load_model().renewals, "worker"
        ),
        "GrowthList": await GrowthReader(
            reader(table_with(grown), None), load_model().growth
        ).growth(GrowthQuery()),
    }
    for name, body in answers.items():
        component_validator(document, name).validate(orjson.loads(body.model_dump_json()))
    assert answers["GrowthList"].candidates  # type: ignore[attr-defined]
    component_validator(document, "Health").validate(orjson.loads(grown.model_dump_json()))


def test_a_health_with_an_extra_or_missing_field_fails_its_schema() -> None:
    validator = component_validator(load_document(), "Health")
    body = orjson.loads(HEALTH.model_dump_json())
    assert validator.is_valid(body)
    assert not validator.is_valid({**body, "surprise": 1})
    del body["last_event_at"]
    assert not validator.is_valid(body)


def test_portfolio_sums_bands_and_segments_and_lists_every_band() -> None:
    portfolio = tally(
        [
            ("critical", "enterprise", "active", 2, 300.0, 0.0),
            ("critical", None, "active", 1, 0.0, 0.0),
            ("healthy", "enterprise", "active", 3, 50.5, 0.0),
            ("healthy", "enterprise", "resurrected", 1, 20.0, 0.0),
            ("critical", "enterprise", "churned", 4, 99.0, 70.0),
        ]
    )
    assert portfolio.accounts == 7
    assert portfolio.bands[Band.CRITICAL].model_dump() == {"accounts": 3, "arr": 300.0}
    assert portfolio.bands[Band.HEALTHY].model_dump() == {"accounts": 4, "arr": 70.5}
    assert portfolio.bands[Band.AT_RISK].model_dump() == {"accounts": 0, "arr": 0.0}
    assert portfolio.segments["unknown"][Band.CRITICAL].accounts == 1
    assert portfolio.segments["enterprise"][Band.CRITICAL].accounts == 2
    assert set(portfolio.segments["enterprise"]) == {Band.CRITICAL, Band.HEALTHY}
    assert portfolio.churned.model_dump() == {"accounts": 4, "arr_lost": 70.0}
    assert portfolio.resurrected.model_dump() == {"accounts": 1, "arr": 20.0}


def test_empty_query_parameters_count_as_absent() -> None:
    query = AccountQuery.parse({"band": "", "segment": "", "csm_owner": "", "limit": ""})
    assert query == AccountQuery()
    assert AccountQuery.parse({"limit": "7", "band": "at_risk"}).limit == 7


@pytest.mark.parametrize(
    ("query", "params", "named"),
    [
        (AccountQuery, {"limit": "abc"}, "limit"),
        (AccountQuery, {"limit": "0"}, "limit"),
        (AccountQuery, {"limit": "1001"}, "limit"),
        (AccountQuery, {"band": "sick"}, "band"),
        (AccountQuery, {"bnad": "critical"}, "bnad"),
        (GrowthQuery, {"limit": "0"}, "limit"),
        (GrowthQuery, {"limit": "x"}, "limit"),
        (GrowthQuery, {"band": "healthy"}, "band"),  # the growth list has no bands to filter
    ],
)
def test_a_bad_or_unknown_query_parameter_is_named_in_the_error(
    query: type[AccountQuery] | type[GrowthQuery], params: dict[str, str], named: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        query.parse(params)
    assert query_error(caught.value).error.startswith(f"{named}: ")
