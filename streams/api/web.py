"""HTTP views on the worker's Faust web server (SPEC §6); described by docs/openapi.json."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import faust
from faust.web import Request, Response, View
from prometheus_client import generate_latest
from pydantic import BaseModel, ValidationError

from streams.api.bodies import (
    AccountList,
    AccountQuery,
    ErrorBody,
    Liveness,
    Readiness,
    UnknownAccount,
)
from streams.api.experience import ExperienceQuery, ExperienceReader
from streams.api.growth import GrowthQuery, GrowthReader
from streams.api.openapi import JSON, render_openapi
from streams.api.readers import HealthReader
from streams.api.renewals import RenewalReader
from streams.topology.pipeline import Pipeline

# Prometheus' text format 0.0.4; aiohttp refuses a charset inside content_type.
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4"
UNAUTHORIZED = ErrorBody(error="missing or wrong bearer token")
Q = TypeVar("Q", bound=BaseModel)


def answer(view: View, body: BaseModel, status: int = 200, **headers: str) -> Response:
    """`body` serialised by pydantic, exactly as docs/openapi.json describes it."""
    return view.bytes(
        body.model_dump_json().encode(), content_type=JSON, status=status, headers=headers
    )


def query_error(exc: ValidationError) -> ErrorBody:
    problems = [
        f"{'.'.join(str(part) for part in error['loc']) or 'query'}: {error['msg']}"
        for error in exc.errors()
    ]
    return ErrorBody(error="; ".join(problems))


async def answer_query(
    view: View,
    request: Request,
    parse: Callable[[Mapping[str, str]], Q],
    respond: Callable[[Q], Awaitable[BaseModel]],
) -> Response:
    """`respond`'s answer to the request's query parameters, or a 400 naming a bad one."""
    try:
        query = parse(request.query)
    except ValidationError as exc:
        return answer(view, query_error(exc), 400)
    return answer(view, await respond(query))


class GuardedView(View):
    """A view that demands `Authorization: Bearer <token>` when `expected` is set."""

    expected: bytes | None = None

    async def dispatch(self, request: Any) -> Any:
        if self.expected is not None:
            given = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(given, self.expected):
                return answer(self, UNAUTHORIZED, 401, **{"WWW-Authenticate": "Bearer"})
        return await super().dispatch(request)


def readiness(
    recovered: bool, processing: bool, rebalancing: bool, stalled: Callable[[], str | None]
) -> Readiness:
    """Ready: tables recovered, the agent started, no rebalance, and the input keeps moving."""
    if not recovered:
        reason: str | None = "tables not recovered yet"
    elif not processing:
        reason = "scoring agent not started yet"
    elif rebalancing:
        reason = "rebalancing"
    else:
        reason = stalled()
    return Readiness(
        ready=reason is None, tables_recovered=recovered, processing=processing, reason=reason
    )


def attach_views(app: faust.App, pipeline: Pipeline, reader: HealthReader) -> None:
    token = pipeline.settings.api_token
    openapi = render_openapi().encode()
    renewals = RenewalReader(reader, pipeline.model.renewals)
    experience = ExperienceReader(reader, pipeline.model.windows)
    growth = GrowthReader(reader, pipeline.model.growth)

    class Guarded(GuardedView):
        expected = f"Bearer {token.get_secret_value()}".encode() if token else None

    @app.page("/healthz")
    class Healthz(View):
        async def get(self, request: Request) -> Any:
            return answer(self, Liveness())

    # Open, like /healthz: probes carry no token, and the answer tells nothing of accounts.
    @app.page("/readyz")
    class Readyz(View):
        async def get(self, request: Request) -> Any:
            # The concrete TableManager has `recovery`; its typed interface does not.
            recovered = app.tables.recovery.completed.is_set()  # type: ignore[attr-defined]
            processing = pipeline.processing.is_set()
            stalled = pipeline.progress.unready_reason
            body = readiness(recovered, processing, app.rebalancing, stalled)
            return answer(self, body, 200 if body.ready else 503)

    @app.page("/metrics")
    class Metrics(View):
        async def get(self, request: Request) -> Any:
            return self.bytes(
                generate_latest(pipeline.metrics.registry), content_type=METRICS_CONTENT_TYPE
            )

    @app.page("/openapi.json")
    class OpenApi(View):
        async def get(self, request: Request) -> Any:
            return self.bytes(openapi, content_type=JSON)

    @app.page("/accounts/{account_id}")
    class Account(Guarded):
        async def get(self, request: Request, account_id: str) -> Any:
            found = await reader.account(account_id)
            if found is None:
                return answer(
                    self, UnknownAccount(error="unknown account", account_id=account_id), 404
                )
            return answer(self, found)

    async def listed_accounts(query: AccountQuery) -> AccountList:
        return AccountList(accounts=await reader.accounts(query))

    @app.page("/accounts")
    class Accounts(Guarded):
        async def get(self, request: Request) -> Any:
            return await answer_query(self, request, AccountQuery.parse, listed_accounts)

    @app.page("/portfolio")
    class Portfolio(Guarded):
        async def get(self, request: Request) -> Any:
            return answer(self, await reader.portfolio())

    @app.page("/portfolio/lifecycle")
    class PortfolioLifecycle(Guarded):
        async def get(self, request: Request) -> Any:
            return answer(self, await reader.lifecycle())

    @app.page("/portfolio/renewals")
    class Renewals(Guarded):
        async def get(self, request: Request) -> Any:
            return answer(self, await renewals.desk())

    @app.page("/portfolio/cx")
    class CustomerExperience(Guarded):
        async def get(self, request: Request) -> Any:
            return await answer_query(self, request, ExperienceQuery.parse, experience.figures)

    @app.page("/portfolio/growth")
    class Growth(Guarded):
        async def get(self, request: Request) -> Any:
            return await answer_query(self, request, GrowthQuery.parse, growth.growth)
