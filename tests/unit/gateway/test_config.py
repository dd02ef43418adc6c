"""The gateway config file, its secrets, and `healthscore check-gateway`."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gateway.config import GatewayConfigError, check_gateway_file, load_sources
from gateway.signatures import sign_segment, sign_stripe
from gateway.source import Unauthorized
from models.exceptions import HealthscoreError
from streams.cli.main import main
from tests.unit.gateway.support import RECEIVED, SECRETS

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "deploy" / "gateway.example.yaml"


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "gateway.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def line_of(path: str, needle: str) -> int:
    lines = Path(path).read_text().splitlines()
    return next(i for i, row in enumerate(lines, 1) if needle in row)


def test_without_a_file_the_sources_with_a_secret_are_served() -> None:
    environ = {"HS_GATEWAY_STRIPE_SECRET": "whsec_a", "HS_GATEWAY_ZENDESK_SECRET": " "}
    sources = load_sources(None, environ)
    assert list(sources) == ["stripe"]
    assert sources["stripe"].name == "stripe"
    assert load_sources(None, {}) == {}


def test_comma_separated_secrets_all_verify_during_a_rotation() -> None:
    segment = load_sources(None, {"HS_GATEWAY_SEGMENT_SECRET": "old-one, new-one"})["segment"]
    body = b"{}"
    for secret in (b"old-one", b"new-one"):
        segment.verify(sign_segment(body, secret), body, time.time())
    with pytest.raises(Unauthorized):
        segment.verify(sign_segment(body, b"old-one,"), body, time.time())


def test_a_section_enabled_without_its_secret_stops_start_up_with_one_line(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "stripe: {}\ntypeform:\n  score_field: nps\n")
    with pytest.raises(GatewayConfigError) as caught:
        load_sources(path, {"HS_GATEWAY_STRIPE_SECRET": "whsec_a"})
    message = str(caught.value)
    assert isinstance(caught.value, HealthscoreError)
    assert "\n" not in message
    assert "typeform is enabled but HS_GATEWAY_TYPEFORM_SECRET" in message
    assert "stripe" not in message.split("typeform")[0]


def test_an_empty_section_is_enabled_with_the_defaults_and_needs_its_secret(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "zendesk:\n")
    assert list(load_sources(path, {"HS_GATEWAY_ZENDESK_SECRET": "s"})) == ["zendesk"]
    with pytest.raises(GatewayConfigError, match="HS_GATEWAY_ZENDESK_SECRET"):
        load_sources(path, {})


def test_a_disabled_section_is_not_served_even_with_its_secret(tmp_path: Path) -> None:
    path = write(tmp_path, "segment:\n  enabled: false\n")
    assert sorted(load_sources(path, SECRETS)) == ["stripe", "typeform", "zendesk"]


def test_the_example_file_passes_check_gateway_and_serves_every_source(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check-gateway", str(EXAMPLE)]) == 0
    assert capsys.readouterr().out.strip() == f"{EXAMPLE}: ok"
    assert sorted(load_sources(str(EXAMPLE), SECRETS)) == [
        "segment",
        "stripe",
        "typeform",
        "zendesk",
    ]


def test_the_example_lookup_file_maps_zendesk_organizations() -> None:
    zendesk = load_sources(str(EXAMPLE), SECRETS)["zendesk"]
    body = {
        "ticket_id": 1,
        "status": "opened",
        "organization_id": 361000778,
        "occurred_at": "2026-03-02T10:00:00Z",
    }
    [out] = zendesk.map(body, RECEIVED).events
    assert out.event.account_id == "globex"


@pytest.mark.parametrize(
    ("text", "needle", "problem"),
    [
        ("segment:\n  acount:\n    path: x\n", "acount", "segment.acount: Extra inputs"),
        ("zendesk:\n  default_priority: critical\n", "critical", "zendesk.default_priority"),
        ("stripe:\n  tolerance_seconds: 0\n", "tolerance", "stripe.tolerance_seconds"),
        ("typeform:\n  account:\n    path: []\n", "path", "typeform.account.path"),
        ("segment:\n  account:\n    path: 'a..b'\n", "a..b", "segment.account.path.0"),
        ("zendesk:\n  csat:\n    great: 9\n", "csat", "csat must lie between 1 and 5"),
        ("segment:\n  roles:\n    CFO: chief\n", "CFO", "segment.roles.CFO"),
        ("hubspot: {}\n", "hubspot", "hubspot: Extra inputs"),
    ],
)
def test_check_gateway_names_the_line_and_field_of_each_problem(
    tmp_path: Path, text: str, needle: str, problem: str
) -> None:
    path = write(tmp_path, text)
    problems = check_gateway_file(path)
    line = line_of(path, needle)
    assert any(f"{path}:{line}:" in p and problem in p for p in problems), problems


def test_check_gateway_reports_every_problem_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "segment:\n  pages: maybe\nstripe:\n  colour: blue\n")
    assert main(["check-gateway", path]) == 1
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2
    assert errors[0].startswith(f"{path}:2: segment.pages")
    assert errors[1].startswith(f"{path}:4: stripe.colour")


def test_an_unreadable_or_broken_file_is_one_clear_problem(tmp_path: Path) -> None:
    assert check_gateway_file(str(tmp_path / "missing.yaml"))[0].endswith(
        "cannot read the file: No such file or directory"
    )
    broken = write(tmp_path, "segment: [\n")
    assert "YAML syntax error" in check_gateway_file(broken)[0]


def test_a_missing_lookup_file_is_named_at_its_config_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "zendesk:\n  account:\n    path: detail.organization_id\n    lookup_file: orgs.csv\n",
    )
    [problem] = check_gateway_file(path)
    assert problem.startswith(f"{path}:4: zendesk.account.lookup_file: cannot read")
    with pytest.raises(GatewayConfigError, match=r"orgs\.csv"):
        load_sources(path, SECRETS)


def test_bad_lookup_rows_are_named_by_their_csv_line(tmp_path: Path) -> None:
    (tmp_path / "orgs.csv").write_text(
        "external_id,account_id\n1,acme\n\n# a comment\n2\n1,globex\n3,ok\n"
    )
    path = write(
        tmp_path, "zendesk:\n  account:\n    path: organization_id\n    lookup_file: orgs.csv\n"
    )
    csv = tmp_path / "orgs.csv"
    assert check_gateway_file(path) == [
        f"{csv}:5: expected two values: external_id,account_id",
        f"{csv}:6: '1' is listed twice, for two accounts",
    ]


def test_secrets_never_appear_in_configuration_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "stripe:\n  colour: blue\n")
    with pytest.raises(GatewayConfigError) as caught:
        load_sources(path, SECRETS)
    assert not any(secret in str(caught.value) for secret in SECRETS.values())


def test_a_stripe_source_from_the_file_uses_its_tolerance(tmp_path: Path) -> None:
    stripe = load_sources(write(tmp_path, "stripe:\n  tolerance_seconds: 10\n"), SECRETS)["stripe"]
    body = b"{}"
    headers = sign_stripe(body, [b"whsec_test123"], 1_000_000)
    stripe.verify(headers, body, 1_000_009)
    with pytest.raises(Unauthorized, match="stale"):
        stripe.verify(headers, body, 1_000_011)
