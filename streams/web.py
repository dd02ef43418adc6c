"""HTTP views on the worker's Faust web server (SPEC §6)."""

from __future__ import annotations

from typing import Any

import faust
from faust.web import Request, Response, View
from prometheus_client import generate_latest

from streams.pipeline import Pipeline
from streams.readers import HealthReader

# Prometheus' text format 0.0.4; aiohttp refuses a charset inside content_type.
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4"


def attach_views(app: faust.App, pipeline: Pipeline, reader: HealthReader) -> None:
    @app.page("/healthz")
    class Healthz(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok"})

    @app.page("/readyz")
    class Readyz(View):
        async def get(self, request: Request) -> Response:
            recovered = app.tables.recovery.completed.is_set()
            ready = recovered and pipeline.processing.is_set() and not app.rebalancing
            body = {
                "ready": ready,
                "tables_recovered": recovered,
                "processing": pipeline.processing.is_set(),
            }
            return self.json(body, status=200 if ready else 503)

    @app.page("/metrics")
    class Metrics(View):
        async def get(self, request: Request) -> Response:
            return self.bytes(
                generate_latest(pipeline.metrics.registry), content_type=METRICS_CONTENT_TYPE
            )

    @app.page("/accounts/{account_id}")
    class Account(View):
        async def get(self, request: Request, account_id: str) -> Response:
            found = await reader.account(account_id)
            if found is None:
                return self.json({"error": "unknown account", "account_id": account_id}, status=404)
            return self.json(found)

    @app.page("/accounts")
    class Accounts(View):
        async def get(self, request: Request) -> Response:
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
    class Portfolio(View):
        async def get(self, request: Request) -> Response:
            return self.json(await reader.portfolio())
