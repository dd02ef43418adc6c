"""/readyz: the answer for each state of the worker, and what it needs no token for."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from streams.api.openapi import openapi_document
from streams.api.web import readiness
from streams.settings import Settings


def keeps_up() -> str | None:
    return None


def stalled() -> str | None:
    return "input partition logins[0] not fetched for 60 s"


def test_ready_once_recovered_processing_settled_and_keeping_up() -> None:
    body = readiness(True, True, False, keeps_up)
    assert body.ready and body.reason is None


@pytest.mark.parametrize(
    ("recovered", "processing", "rebalancing", "reason"),
    [
        (False, True, False, "tables not recovered yet"),
        (True, False, False, "scoring agent not started yet"),
        (True, True, True, "rebalancing"),
    ],
)
def test_not_ready_says_why(
    recovered: bool, processing: bool, rebalancing: bool, reason: str
) -> None:
    body = readiness(recovered, processing, rebalancing, keeps_up)
    assert not body.ready and body.reason == reason


def test_a_stalled_worker_is_not_ready_and_says_where() -> None:
    body = readiness(True, True, False, stalled)
    assert not body.ready
    assert body.reason == stalled()


def test_the_probes_need_no_token_and_the_accounts_do() -> None:
    paths = openapi_document()["paths"]
    for open_path in ("/healthz", "/readyz"):
        assert paths[open_path]["get"]["security"] == []
        assert "401" not in paths[open_path]["get"]["responses"]
    for guarded in ("/accounts", "/accounts/{account_id}", "/portfolio"):
        assert "401" in paths[guarded]["get"]["responses"]


@pytest.mark.parametrize(
    ("host", "token", "open_beyond"),
    [
        ("127.0.0.1", None, False),
        ("::1", None, False),
        ("localhost", None, False),
        ("0.0.0.0", None, True),
        ("::", None, True),
        ("worker-1.example", None, True),
        ("0.0.0.0", "s3cret", False),
        ("0.0.0.0", "", True),
    ],
)
def test_an_api_bound_beyond_loopback_without_a_token_is_flagged(
    host: str, token: str | None, open_beyond: bool
) -> None:
    settings = Settings(web_host=host, api_token=SecretStr(token) if token is not None else None)
    assert settings.api_open_beyond_loopback() is open_beyond
