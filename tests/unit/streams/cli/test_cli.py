"""The command line as a user meets it: clear errors, committed schemas, model checks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from streams.cli.main import main
from streams.cli.schemas import render_schemas

ROOT = Path(__file__).resolve().parents[4]


def test_committed_schemas_match_the_models() -> None:
    rendered = render_schemas()
    committed = {p.name: p.read_text() for p in (ROOT / "schemas").glob("*.json")}
    assert committed == rendered, "schemas/ is stale: run `make schemas` and commit the result"


def test_a_batch_schema_accepts_arrays_of_events() -> None:
    schema = json.loads(render_schemas()["nps.json"])
    batch = schema["oneOf"][1]
    assert batch["type"] == "array"
    assert batch["maxItems"] == 10_000
    event = schema["$defs"]["event"]
    assert event["properties"]["score"]["maximum"] == 10
    assert set(event["required"]) >= {"event_id", "account_id", "occurred_at", "respondent_id"}


def test_check_model_accepts_the_default_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-model", str(ROOT / "models/default_model.yaml")]) == 0
    assert "ok" in capsys.readouterr().out


def test_check_model_names_the_line_of_a_bad_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "models/default_model.yaml").read_text()
    broken = tmp_path / "model.yaml"
    broken.write_text(text.replace("healthy: 70", "healthy: 170", 1))
    line = next(
        i for i, row in enumerate(broken.read_text().splitlines(), 1) if "healthy: 170" in row
    )
    assert main(["check-model", str(broken)]) == 1
    errors = capsys.readouterr().err
    assert f":{line}:" in errors
    assert "healthy" in errors


def test_an_invalid_setting_stops_start_up_with_one_line_naming_it() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "streams", "worker"],
        env={"HS_WEB_PORT": "not-a-port", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "HS_WEB_PORT" in lines[0]


def test_a_worker_with_an_alert_sink_but_no_postgresql_refuses_to_start() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "streams", "worker"],
        env={
            "HS_SLACK_WEBHOOK_URL": "https://hooks.slack.test/T0/B0/never-logged",
            "HS_WEBHOOK_URL": "https://hooks.example.test/in",
            "HS_WEBHOOK_SECRET": "s3cret",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert "HS_PG_DSN" in line
    assert "HS_SLACK_WEBHOOK_URL" in line and "HS_WEBHOOK_URL" in line
    assert "never-logged" not in line


def test_secrets_never_appear_in_the_logged_settings() -> None:
    from streams.settings import Settings

    settings = Settings(
        pg_dsn="postgresql://app:hunter2@db/hs",  # type: ignore[arg-type]
        slack_webhook_url="https://hooks.slack.test/T0/B0/XYZ",  # type: ignore[arg-type]
        pagerduty_routing_key="r" * 32,  # type: ignore[arg-type]
        webhook_secret="shh",  # type: ignore[arg-type]
    )
    shown = json.dumps(settings.redacted(), default=str)
    for secret in ("hunter2", "XYZ", "r" * 32, "shh"):
        assert secret not in shown
