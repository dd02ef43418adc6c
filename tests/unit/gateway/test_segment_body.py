"""The Segment body path (gateway.sources.segment_body) against the source's own mapping.

The gateway takes a body the body path maps as it is, and parses any other
with orjson for the source's own code: for generated bodies, under several
configurations, that gives the same refusals and the same messages, byte for
byte, as parsing every body and mapping it with the pydantic models.
"""

from __future__ import annotations

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.intake import parse_json
from gateway.messages import Delivery
from gateway.rejections import InvalidJson
from gateway.sources.common import AccountRule, Accounts
from gateway.sources.segment import SegmentConfig, SegmentSource
from tests.unit.gateway.support import RECEIVED
from tests.unit.gateway.test_segment_fast import SOURCES, answer, call, calls, outcome


def as_gateway_maps(source: SegmentSource, body: bytes) -> tuple[object, ...]:
    """What the gateway answers for `body`: the body path where it is sure, else
    the body parsed and mapped by the source's own code."""
    return answer(
        lambda: source.map_body(body, RECEIVED) or source.map_encoded(parse_json(body), RECEIVED)
    )


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    config=st.sampled_from(sorted(SOURCES)),
    batch=st.lists(calls(), min_size=1, max_size=4),
    alone=st.booleans(),
    indent=st.booleans(),
)
def test_bodies_are_mapped_as_the_models_map_them(
    config: str, batch: list[object], alone: bool, indent: bool
) -> None:
    source = SOURCES[config]
    document = batch[0] if alone else {"batch": batch}
    body = orjson.dumps(document, option=orjson.OPT_INDENT_2 if indent else 0)
    assert as_gateway_maps(source, body) == outcome(source, orjson.loads(body), fast=False)


def escaped_call(n: int) -> dict[str, object]:
    """A call whose text is control characters, each written as six bytes: 6,000
    logins of one account come to over 8 MiB, a message's limit."""
    text = "\x01" * 120
    return call(event=text, userId=text, messageId=f"m{n}{text}")


def taken(body: bytes, config: str = "default") -> Delivery | None:
    return SOURCES[config].map_body(body, RECEIVED)


@pytest.mark.parametrize(
    "calls_in_body",
    [
        [call()],
        [call(type="page", name="Billing"), call(type="page", properties={"name": "Billing"})],
        [call(context={"groupId": "acct-1", "traits": {"role": "Admin", "email": "é@x"}})],
        [call(userId=None), call(type="identify"), call(type="screen"), call(type="alias")],
        [
            call(messageId=f"m-{n}", properties={"plan": "team", "n": [1, {"x": None}]})
            for n in range(100)
        ],
    ],
    ids=["track", "pages", "non-ascii", "ignored calls", "a hundred"],
)
def test_the_usual_bodies_take_the_body_path(calls_in_body: list[dict[str, object]]) -> None:
    body = orjson.dumps({"batch": calls_in_body})
    prepared = taken(body)
    assert prepared is not None
    source = SOURCES["default"]
    assert as_gateway_maps(source, body) == outcome(source, orjson.loads(body), fast=False)


@pytest.mark.parametrize(
    "body",
    [
        orjson.dumps({"batch": [call(), {"type": "group", "groupId": "acct-1", "traits": {}}]}),
        orjson.dumps({"batch": [call(context=None)]}),
        orjson.dumps({"batch": [call(type="Track")]}),
        orjson.dumps({"batch": None}),
        orjson.dumps({"batch": [call()] * 10_001}),
        orjson.dumps({"batch": [escaped_call(n) for n in range(6_000)]}),
        b'{"batch": [' + orjson.dumps(call(userId="?")).replace(b"?", b"\\ud800") + b"]}",
        b'{"batch": [' + orjson.dumps(call(properties={"x": "?"})).replace(b"?", b"\xff") + b"]}",
        b'{"batch": ['
        + orjson.dumps(call(properties={"x": "?"})).replace(b'"?"', b"[" * 5000 + b"]" * 5000)
        + b"]}",
        b'{"batch": []} trailing',
        b"",
        b"[]",
    ],
    ids=[
        "a group call",
        "a null context",
        "a type in capitals",
        "a null batch",
        "too many calls",
        "an account's logins over one message",
        "a lone surrogate",
        "not UTF-8 where it is not read",
        "nested too deep where it is not read",
        "not JSON",
        "empty",
        "not an object",
    ],
)
def test_bodies_it_is_not_sure_of_go_to_the_sources_own_code(body: bytes) -> None:
    assert taken(body) is None
    source = SOURCES["default"]
    try:
        expected: tuple[object, ...] = outcome(source, orjson.loads(body), fast=False)
    except orjson.JSONDecodeError as exc:
        expected = ("refused", str(InvalidJson(f"the body is not valid JSON: {exc}")))
    got = as_gateway_maps(source, body)
    assert got[0] == expected[0]
    if got[0] == "accepted":
        assert got == expected


@pytest.mark.parametrize("config", ["other paths", "lookup table"])
def test_other_account_rules_are_left_to_the_sources_own_code(config: str) -> None:
    assert taken(orjson.dumps({"batch": [call()]}), config) is None


def test_a_role_path_crossing_the_account_path_leaves_the_body_path_off() -> None:
    config = SegmentConfig.model_validate({"role_path": "context.groupId.role"})
    source = SegmentSource(
        config, [b"s"], Accounts(config.account), Accounts(AccountRule(path=["groupId"]))
    )
    body = orjson.dumps({"batch": [call()]})
    assert source.map_body(body, RECEIVED) is None
    assert as_gateway_maps(source, body) == outcome(source, orjson.loads(body), fast=False)
