"""HTTP views on the worker's Faust web server (SPEC §6)."""

from __future__ import annotations

import hmac
from typing import Any

import faust
from faust.web import Request, View
from prometheus_client import generate_latest

from streams.pipeline import Pipeline
from streams.readers import HealthReader

# Prometheus' text format 0.0.4; aiohttp refuses a charset inside content_type.
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4"


class GuardedView(View):
    """A view that demands `Authorization: Bearer <token>` when `expected` is set."""

    expected: bytes | None = None

    async def dispatch(self, request: Any) -> Any:
        if self.expected is not None:
            given = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(given, self.expected):
                return self.json(
                    {"error": "missing or wrong bearer token"},
                    status=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        return await super().dispatch(request)


def attach_views(app: faust.App, pipeline: Pipeline, reader: HealthReader) -> None:
    token = pipeline.settings.api_token

    class Guarded(GuardedView):
        expected = f"Bearer {token.get_secret_value()}".encode() if token else None

    @app.page("/healthz")
    class Healthz(View):
        async def get(self, request: Request) -> Any:
            return self.json({"status": "ok"})

    @app.page("/readyz")
    class Readyz(Guarded):
        async def get(self, request: Request) -> Any:
            # The concrete TableManager has `recovery`; its typed interface does not.
            recovered = app.tables.recovery.completed.is_set()  # type: ignore[attr-defined]
            ready = recovered and pipeline.processing.is_set() and not app.rebalancing
            body = {
                "ready": ready,
                "tables_recovered": recovered,
                "processing": pipeline.processing.is_set(),
            }
            return self.json(body, status=200 if ready else 503)

    @app.page("/metrics")
    class Metrics(View):
        async def get(self, request: Request) -> Any:
            return self.bytes(
                generate_latest(pipeline.metrics.registry), content_type=METRICS_CONTENT_TYPE
            )

    @app.page("/accounts/{account_id}")
    class Account(Guarded):
        async def get(self, request: Request, account_id: str) -> Any:
            found = await reader.account(account_id)
            if found is None:
                return self.json({"error": "unknown account", "account_id": account_id}, status=404)
            return self.json(found)

    @app.page("/accounts")
    class Accounts(Guarded):
        async def get(self, request: Request) -> Any:
            query: dict[str, Any] = dict(request.query)
            try:
                limit = int(query.get("limit", 50))
            except ValueError:
                return self.json({"error": "limit must be an integer"}, status=400)
            if not 1 <= limit <= 1000:
                return self.json({"error": "limit must be between 1 and 1000"}, status=400)
            band = query.get("band")
            if band is not None and band not in ("healthy", "at_risk", "critical"):
                return self.json({"error": "band must be healthy, at_risk or critical"}, status=400)
            rows = await reader.accounts(
                band=band,
                segment=query.get("segment"),
                csm_owner=query.get("csm_owner"),
                limit=limit,
            )
            return self.json({"accounts": rows})

    @app.page("/portfolio")
    class Portfolio(Guarded):
        async def get(self, request: Request) -> Any:
            return self.json(await reader.portfolio())
