"""`healthscore gateway` refuses bad settings in one line, and its token is a secret."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HS_GATEWAY_PORT", "0"),
        ("HS_GATEWAY_MAX_BODY_BYTES", "lots"),
        ("HS_GATEWAY_PRODUCE_TIMEOUT_SECONDS", "-1"),
    ],
)
def test_an_invalid_gateway_setting_stops_start_up_with_one_line_naming_it(
    name: str, value: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "streams", "gateway"],
        env={name: value, "PATH": "/usr/bin:/bin"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"healthscore: invalid setting {name}:"), line


def test_the_gateway_token_is_redacted_and_masked_in_logs() -> None:
    settings = Settings(gateway_token="gw-token-never-shown")  # type: ignore[arg-type]
    assert "gw-token-never-shown" not in json.dumps(settings.redacted(), default=str)
    assert "gw-token-never-shown" in settings.secret_values()
