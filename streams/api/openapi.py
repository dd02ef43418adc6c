"""The OpenAPI 3.1 description of the HTTP API, generated from the answer models.

`python -m streams.api.openapi` rewrites docs/openapi.json; a running worker serves
the same document at `GET /openapi.json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from models.experience.figures import CustomerExperience
from models.growth.figures import GrowthList
from models.health import Health
from models.renewals.figures import RenewalDesk
from streams.api.bodies import (
    AccountList,
    AccountQuery,
    ErrorBody,
    Liveness,
    Portfolio,
    PortfolioLifecycle,
    Readiness,
    UnknownAccount,
)
from streams.api.experience import ExperienceQuery
from streams.api.growth import GrowthQuery

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "openapi.json"
API_VERSION = "1.0.0"
JSON = "application/json"
METRICS_MEDIA_TYPE = "text/plain"
SECURITY_SCHEME = "bearerToken"
_REF = "#/components/schemas/{model}"

_ANSWERS: list[tuple[type[BaseModel], JsonSchemaMode]] = [
    (Health, "serialization"),
    (AccountList, "serialization"),
    (Portfolio, "serialization"),
    (PortfolioLifecycle, "serialization"),
    (RenewalDesk, "serialization"),
    (CustomerExperience, "serialization"),
    (GrowthList, "serialization"),
    (Liveness, "serialization"),
    (Readiness, "serialization"),
    (ErrorBody, "serialization"),
    (UnknownAccount, "serialization"),
    (AccountQuery, "validation"),
    (ExperienceQuery, "validation"),
    (GrowthQuery, "validation"),
]


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _json(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref(model)}}}


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than null: drop the `null` branch of `X | None`."""
    branches = [b for b in schema.get("anyOf", []) if b != {"type": "null"}]
    if len(branches) != 1:
        return schema
    rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
    return {**branches[0], **rest}


def _query_parameters(query: dict[str, Any]) -> list[dict[str, Any]]:
    parameters = []
    for name, schema in query["properties"].items():
        schema = _not_null({k: v for k, v in schema.items() if k != "title"})
        description = schema.pop("description", None)
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": description,
                "schema": schema,
            }
        )
    return parameters


def _operation(
    operation_id: str,
    summary: str,
    responses: dict[str, Any],
    *,
    guarded: bool = True,
    parameters: list[dict[str, Any]] | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": operation_id, "summary": summary}
    if description:
        operation["description"] = description
    if parameters:
        operation["parameters"] = parameters
    if guarded:
        responses = {**responses, "401": {"$ref": "#/components/responses/Unauthorized"}}
    else:
        operation["security"] = []
    operation["responses"] = responses
    return {"get": operation}


def openapi_document() -> dict[str, Any]:
    _, definitions = models_json_schema(_ANSWERS, ref_template=_REF)
    schemas: dict[str, Any] = definitions["$defs"]
    query = schemas.pop(AccountQuery.__name__)
    experience_query = schemas.pop(ExperienceQuery.__name__)
    growth_query = schemas.pop(GrowthQuery.__name__)
    for schema in schemas.values():
        # Answers always carry every field, null where there is no value.
        if "properties" in schema:
            schema["required"] = list(schema["properties"])
    paths = {
        "/healthz": _operation(
            "liveness", "Liveness", {"200": _json(Liveness, "The process is up.")}, guarded=False
        ),
        "/readyz": _operation(
            "readiness",
            "Readiness: tables recovered and the worker keeping up with its input",
            {
                "200": _json(Readiness, "Ready."),
                "503": _json(
                    Readiness,
                    "Not ready yet, rebalancing, or stalled: an input partition not fetched, "
                    "records waiting and none processed, or records processed and not "
                    "committed, for HS_READY_STALL_SECONDS.",
                ),
            },
            guarded=False,
        ),
        "/metrics": _operation(
            "metrics",
            "Prometheus exposition",
            {
                "200": {
                    "description": "Prometheus text format 0.0.4: healthscore_* metrics, "
                    "faust's own under healthscore_faust_*.",
                    "content": {METRICS_MEDIA_TYPE: {"schema": {"type": "string"}}},
                }
            },
            guarded=False,
        ),
        "/openapi.json": _operation(
            "openapi",
            "This document",
            {"200": {"description": "OpenAPI 3.1.", "content": {JSON: {"schema": {}}}}},
            guarded=False,
        ),
        "/accounts/{account_id}": _operation(
            "getAccount",
            "The current health of one account",
            {
                "200": _json(Health, "Score, band, components, drivers and profile."),
                "404": _json(UnknownAccount, "No health is known for this account."),
            },
            parameters=[
                {
                    "name": "account_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 128},
                }
            ],
        ),
        "/accounts": _operation(
            "listAccounts",
            "Accounts, worst first",
            {
                "200": _json(AccountList, "Matching accounts, lowest score first."),
                "400": _json(ErrorBody, "A query parameter is invalid or unknown."),
            },
            parameters=_query_parameters(query),
            description="Lowest score first, ties by account_id. Churned accounts are left "
            "out unless `status=churned` asks for them. An empty parameter counts as absent; "
            "an unknown one is a 400.",
        ),
        "/portfolio": _operation(
            "getPortfolio",
            "Accounts and ARR per band and per segment; churned and resurrected apart",
            {"200": _json(Portfolio, "The whole portfolio.")},
            description="The bands count the active portfolio: accounts that never churned "
            "and resurrected ones. Churned accounts are counted apart, with the ARR they lost.",
        ),
        "/portfolio/lifecycle": _operation(
            "getPortfolioLifecycle",
            "Churned and resurrected accounts, and the resurrection figures per quarter",
            {"200": _json(PortfolioLifecycle, "Churn and resurrection, now and over time.")},
            description="Counted in churn episodes; a quarter holds the churns that happened in "
            "it and what became of them since. From PostgreSQL's views (resurrection_totals, "
            "resurrection_by_quarter, portfolio_arr), or from the worker's own accounts "
            "without PostgreSQL.",
        ),
        "/portfolio/renewals": _operation(
            "getRenewalDesk",
            "Renewal KPIs per quarter and to date, the churn forecast and renewals due soon",
            {"200": _json(RenewalDesk, "The renewal desk as of today (UTC).")},
            description="Every figure is defined in docs/renewal-desk.md. Settings (fiscal "
            "year, window, target, churn calibration) are the worker's model's `renewals` "
            "section.",
        ),
        "/portfolio/cx": _operation(
            "getCustomerExperience",
            "CX per role: NPS, CSAT, customer effort, first reply time and active users, in "
            "total and per segment, region, line of business or owner",
            {
                "200": _json(CustomerExperience, "The active portfolio's CX figures now."),
                "400": _json(ErrorBody, "A query parameter is invalid or unknown."),
            },
            parameters=_query_parameters(experience_query),
            description="Every figure is defined in docs/customer-experience.md: ratios of "
            "counts summed over the accounts that have not churned, each over a window of "
            "the worker's model. From the current healths in PostgreSQL, or from the "
            "worker's own accounts without PostgreSQL. The figures over time are in "
            "PostgreSQL's views (cx_by_day, cx_by_week).",
        ),
        "/portfolio/growth": _operation(
            "getGrowth",
            "Expansion candidates, best first, with the signals behind each",
            {
                "200": _json(GrowthList, "The growth list now."),
                "400": _json(ErrorBody, "A query parameter is invalid or unknown."),
            },
            parameters=_query_parameters(growth_query),
            description="Healthy accounts of the active portfolio whose growth strength "
            "reaches the model's `growth.min_strength` (docs/how-the-score-works.md#growth), "
            "highest strength first, then most ARR. From PostgreSQL's view growth_candidates, "
            "or from the worker's own accounts without PostgreSQL. An empty parameter counts "
            "as absent; an unknown one is a 400.",
        ),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "healthscore",
            "version": API_VERSION,
            "description": "Live health scores of B2B customer accounts. Any worker answers "
            "for any account.",
        },
        "servers": [{"url": "http://127.0.0.1:6066", "description": "a worker, by default"}],
        "security": [{SECURITY_SCHEME: []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The worker's HS_API_TOKEN. Required by every route but "
                    "/healthz, /readyz, /metrics and /openapi.json, and only when "
                    "HS_API_TOKEN is set.",
                }
            },
            "responses": {
                "Unauthorized": {
                    "description": "HS_API_TOKEN is set and the bearer token is missing or wrong.",
                    "headers": {
                        "WWW-Authenticate": {"schema": {"type": "string", "const": "Bearer"}}
                    },
                    "content": {JSON: {"schema": _ref(ErrorBody)}},
                }
            },
        },
    }


def render_openapi() -> str:
    return json.dumps(openapi_document(), indent=2) + "\n"


def main() -> None:
    DOCUMENT.write_text(render_openapi())


if __name__ == "__main__":
    main()
