"""Fixtures of the vendors' documented payloads, and sources built with test secrets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gateway.config import load_sources
from gateway.source import Source

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "gateway"
RECEIVED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

SECRETS = {
    "HS_GATEWAY_SEGMENT_SECRET": "seg-secret",
    "HS_GATEWAY_ZENDESK_SECRET": "zd-secret",
    "HS_GATEWAY_STRIPE_SECRET": "whsec_test123",
    "HS_GATEWAY_TYPEFORM_SECRET": "tf-secret",
}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def source(name: str, config: str | None = None, tmp_path: Path | None = None) -> Source:
    """The source `name` as load_sources builds it: default mappings, or `config` (YAML)."""
    path = None
    if config is not None:
        assert tmp_path is not None
        file = tmp_path / "gateway.yaml"
        file.write_text(config, encoding="utf-8")
        path = str(file)
    return load_sources(path, SECRETS)[name]
