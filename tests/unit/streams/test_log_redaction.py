"""Secrets never reach the log, whichever library logs them."""

from __future__ import annotations

import io
import logging

import pytest
from pydantic import SecretStr

from streams.kafka_client import MASK, RedactSecrets, protect_logs
from streams.settings import Settings, SettingsError, load_settings


def test_a_sasl_request_logged_as_bytes_is_masked() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets(["pa'ss\u00e9word"]))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(
            "Request: %s", {"sasl_auth_bytes": b"\x00user\x00" + "pa'ss\u00e9word".encode()}
        )
        logger.warning("plain %s", "pa'ss\u00e9word")
        try:
            raise ValueError("pa'ss\u00e9word")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "ss\u00e9word" not in text and "ss\\xc3\\xa9word" not in text
    assert text.count(MASK) == 3  # the last one in the traceback's exception line


def test_every_secret_setting_and_the_dsn_password_are_redacted() -> None:
    settings = Settings(
        kafka_sasl_password=SecretStr("kafka-pw"),
        pg_dsn=SecretStr("postgresql://hs:pg%40pw@db/healthscore"),
        webhook_secret=SecretStr("hook-secret"),
    )
    assert set(settings.secret_values()) >= {"kafka-pw", "pg@pw", "hook-secret"}
    protect_logs(settings)
    protect_logs(settings)
    conn = logging.getLogger("aiokafka.conn")
    assert sum(isinstance(f, RedactSecrets) for f in conn.filters) == 1


def test_standby_replicas_default_and_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().standby_replicas == 1
    monkeypatch.setenv("HS_STANDBY_REPLICAS", "-1")
    with pytest.raises(SettingsError, match="HS_STANDBY_REPLICAS"):
        load_settings()
