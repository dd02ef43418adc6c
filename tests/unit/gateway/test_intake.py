"""Content type, body JSON and bearer token: what is taken in, and how a refusal reads."""

from __future__ import annotations

import pytest

from gateway.intake import check_bearer, check_content_type, parse_json
from gateway.rejections import InvalidJson, UnsupportedMediaType
from gateway.source import Unauthorized


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "Application/JSON",
        "application/json; charset=utf-8",
        'application/json; charset="UTF-8"',
        "application/cloudevents+json",
    ],
)
def test_json_content_types_are_taken(content_type: str) -> None:
    check_content_type({"Content-Type": content_type})


def test_a_request_without_content_type_is_read_as_json() -> None:
    check_content_type({})


@pytest.mark.parametrize(
    ("content_type", "says"),
    [
        ("text/plain", "'text/plain' is not JSON"),
        ("application/x-www-form-urlencoded", "is not JSON"),
        ("multipart/form-data; boundary=x", "is not JSON"),
        ("application/xml", "is not JSON"),
        ("", "(empty)"),
        ("application/json; charset=latin-1", "charset 'latin-1': JSON must be UTF-8"),
    ],
)
def test_other_content_types_are_refused_saying_why(content_type: str, says: str) -> None:
    with pytest.raises(UnsupportedMediaType, match=says.replace("(", r"\(").replace(")", r"\)")):
        check_content_type({"Content-Type": content_type})


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "the body is empty"),
        (b"  \n", "the body is empty"),
        (b"{not json", "not valid JSON"),
        (b'{"a": "\xff\xfe"}', "not valid JSON: .*UTF-8"),
        (b"[" * 5000 + b"]" * 5000, "not valid JSON: depth limit exceeded"),
        (b'{"a": NaN}', "not valid JSON"),
    ],
)
def test_a_body_that_is_not_json_is_refused_saying_why(body: bytes, says: str) -> None:
    with pytest.raises(InvalidJson, match=says):
        parse_json(body)


def test_json_is_parsed() -> None:
    assert parse_json(b' [{"a": 1}] ') == [{"a": 1}]


def test_the_right_bearer_token_passes_whatever_the_schemes_case() -> None:
    check_bearer({"Authorization": "Bearer s3cret-token"}, b"s3cret-token")
    check_bearer({"Authorization": "bearer s3cret-token"}, b"s3cret-token")


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Bearer s3cret-toke", "Bearer s3cret-token2",
     "Basic s3cret-token", "s3cret-token", "Bearer s3cret-token\udcff"],
)  # fmt: skip
def test_a_missing_or_wrong_bearer_token_is_unauthorized(header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    with pytest.raises(Unauthorized, match="bearer token"):
        check_bearer(headers, b"s3cret-token")
