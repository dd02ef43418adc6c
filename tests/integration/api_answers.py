"""Comparing the API's answers with the account_health rows they come from."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

import asyncpg

# Re-scoring keeps moving rows; how long to wait for a moment they stand still.
SETTLE_SECONDS = 45.0


def as_answer(row: asyncpg.Record) -> dict[str, Any]:
    """An account_health row in the API's JSON types (jsonb is text on this connection)."""
    out = dict(row)
    out["components"] = json.loads(out["components"])
    out["drivers"] = json.loads(out["drivers"])
    if out.get("lifecycle") is not None:
        out["lifecycle"] = json.loads(out["lifecycle"])
    for column in ("contracts", "experience", "growth"):
        if out[column] is not None:
            out[column] = json.loads(out[column])
    return out


def parsed(body: dict[str, Any]) -> dict[str, Any]:
    """An API answer with its dates and times parsed, for comparing with a row."""
    out = dict(body)
    for key in ("updated_at", "last_event_at"):
        if out[key] is not None:
            out[key] = datetime.fromisoformat(out[key])
    if out["renewal_date"] is not None:
        out["renewal_date"] = date.fromisoformat(out["renewal_date"])
    return out


async def settled(
    read_rows: Callable[[], Awaitable[Any]],
    read_answer: Callable[[], Awaitable[Any]],
    same: Callable[[Any, Any], bool],
) -> tuple[Any, Any]:
    """Rows and an answer that agree while the rows stood still (re-scoring moves them)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        before = await read_rows()
        answer = await read_answer()
        after = await read_rows()
        if before == after and same(after, answer):
            return after, answer
        if time.monotonic() > deadline:
            return after, answer
        await asyncio.sleep(0.5)
