"""The Segment fast path (gateway.sources.segment_fast) against the source's own mapping.

For generated calls, alone and in batches, under several configurations:
`map_encoded` (the fast path, falling back to `map`'s code) and `map` (the
pydantic models) refuse exactly the same bodies with the same message, and
accept the others with the same messages, byte for byte, and the same counts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.messages import Delivery, deliver_events
from gateway.rejections import InvalidJson
from gateway.source import Encoded, Mapped, Prepared, Unmappable
from gateway.sources.common import AccountRule, Accounts
from gateway.sources.segment import SegmentConfig, SegmentSource
from models.events import Role
from tests.unit.gateway.support import RECEIVED

CONFIGS: dict[str, dict[str, Any]] = {
    "default": {},
    "aliases and filters": {
        "roles": {"Admin": Role.IT_LEADER, "bean counter": Role.FINANCE_EXECUTIVE},
        "track_events": ["Report Exported", "reports", " padded "],
        "pages": False,
    },
    "other paths": {
        "account": {"path": ["properties.account", "context.groupId"], "when_unknown": "ignore"},
        "role_path": "context.roles.0",
    },
    "lookup table": {
        "account": {"path": "context.groupId", "lookup": {"ext-1": "acct-1"}},
        "role_path": None,
        "identify": "login",
    },
}


def segment(name: str) -> SegmentSource:
    config = SegmentConfig.model_validate(CONFIGS[name])
    # As a CSV lookup file could hold: an account id the event model refuses.
    table = {"ext-2": "a" * 129} if config.account.lookup else None
    return SegmentSource(
        config,
        [b"secret"],
        Accounts(config.account, table),
        Accounts(AccountRule(path=["groupId"])),
    )


SOURCES = {name: segment(name) for name in CONFIGS}

# Text as a parsed JSON body holds it: any character but lone surrogates.
text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=140)
words = st.sampled_from(["acct-1", "ext-1", "ext-2", " ext-1 ", "u-1", "", " ", "reports"])
ids = st.one_of(
    words, text, st.text(min_size=120, max_size=140), st.integers(-(2**62), 2**62), st.none()
)
offsets = st.timedeltas(min_value=-timedelta(hours=23), max_value=timedelta(hours=23))
moments = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.none()
)


@st.composite
def timestamps(draw: st.DrawFn) -> object:
    moment = draw(moments)
    kind = draw(st.sampled_from(["utc", "z", "z", "offset", "spaced", "naive", "date"]))
    if kind == "naive":
        return moment.isoformat()
    if kind == "date":
        return moment.date().isoformat()
    zone = UTC if kind in ("utc", "z") else timezone(draw(offsets))
    spec = draw(st.sampled_from(["auto", "seconds", "milliseconds", "microseconds"]))
    written = moment.replace(tzinfo=zone).isoformat(timespec=spec)
    if kind == "z":
        written = written.replace("+00:00", "Z")
    return f"  {written} " if kind == "spaced" else written


roles = st.one_of(
    st.sampled_from([r.value for r in Role] + ["Admin", "IT Leader", "end-user", "", "ceo"]),
    text,
    st.integers(0, 9),
)
containers = st.one_of(st.none(), text, st.lists(st.integers(0, 3), max_size=2))


def usually(draw: st.DrawFn, valid: st.SearchStrategy[Any], other: st.SearchStrategy[Any]) -> Any:
    """A value the fast path may take, seven times in eight; else anything."""
    return draw(other if draw(st.integers(0, 7)) == 0 else valid)


@st.composite
def calls(draw: st.DrawFn) -> object:
    if draw(st.integers(0, 30)) == 0:
        return draw(st.one_of(text, st.lists(st.integers(0, 9), max_size=2), st.none()))
    plain = st.one_of(st.sampled_from(["acct-1", "u-1", "reports", " padded "]), text)
    traits = usually(draw, st.fixed_dictionaries({"role": roles}), containers)
    context: object = {
        "groupId": usually(draw, st.sampled_from(["acct-1", "ext-1", " ext-1 ", "ext-2"]), ids),
        "traits": traits,
        "roles": [draw(roles)],
    }
    context = usually(draw, st.just(context), containers)
    properties = usually(draw, st.fixed_dictionaries({"name": ids, "account": ids}), containers)
    call: dict[str, object] = {
        "type": usually(
            draw,
            st.sampled_from(["track", "page"]),
            st.sampled_from(["identify", "group", "screen", "Track", 1]),
        ),
        "event": usually(draw, plain, st.one_of(st.just(" padded "), st.integers(0, 9), ids)),
        "name": usually(draw, plain, st.one_of(st.none(), st.just(0), ids)),
        "properties": properties,
        "userId": usually(draw, plain, ids),
        "messageId": usually(draw, st.one_of(plain, st.text(min_size=120, max_size=140)), ids),
        "timestamp": usually(draw, timestamps(), st.one_of(text, st.integers(0, 2**40), st.none())),
        "context": context,
        "traits": draw(containers),
    }
    if draw(st.integers(0, 4)) == 0:
        for key in draw(st.sets(st.sampled_from(sorted(call)), max_size=2)):
            del call[key]
    return call


def outcome(source: SegmentSource, document: object, fast: bool) -> tuple[object, ...]:
    if fast:
        return answer(lambda: source.map_encoded(document, RECEIVED))
    return answer(lambda: source.map(document, RECEIVED))


def answer(mapping: Callable[[], Mapped | Prepared | Delivery]) -> tuple[object, ...]:
    """What the gateway makes of a request `mapping` maps (or gives the messages of):
    a refusal and its message, or the messages it produces and its counts."""
    try:
        mapped = mapping()
    except (Unmappable, InvalidJson) as exc:
        return ("refused", str(exc))
    if isinstance(mapped, Delivery):
        delivery = mapped
    else:
        delivery = deliver_events(mapped.events, mapped.ignored)
    messages = [(m.topic, m.key, m.value) for m in delivery.messages]
    return ("accepted", messages, dict(delivery.events), delivery.ignored)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    config=st.sampled_from(sorted(CONFIGS)),
    batch=st.lists(calls(), min_size=1, max_size=4),
    alone=st.booleans(),
)
def test_the_fast_path_accepts_and_refuses_as_the_models_with_the_same_bytes(
    config: str, batch: list[object], alone: bool
) -> None:
    source = SOURCES[config]
    document = batch[0] if alone else {"batch": batch}
    # As the gateway has it: parsed from the body's JSON.
    parsed = orjson.loads(orjson.dumps(document))
    assert outcome(source, parsed, fast=True) == outcome(source, parsed, fast=False)


def call(**fields: object) -> dict[str, object]:
    return {
        "type": "track",
        "event": "Report Exported",
        "messageId": "m-1",
        "userId": "u-1",
        "timestamp": "2026-03-02T10:15:30.512Z",
        "context": {"groupId": "acct-1", "traits": {"role": "Department Manager"}},
    } | fields


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"type": "page", "name": "Billing"},
        {"type": "page", "properties": {"name": "Billing"}},
        {"timestamp": "2026-03-02T10:15:30+05:30", "messageId": "m" * 200},
        {"context": {"groupId": "acct-1", "traits": {"role": "nobody"}}},
    ],
)
def test_the_usual_calls_take_the_fast_path(fields: dict[str, object]) -> None:
    source = SOURCES["default"]
    prepared = source.map_encoded({"batch": [call(**fields)]}, RECEIVED)
    assert [type(event) for event in prepared.events] == [Encoded]
    assert outcome(source, call(**fields), True) == outcome(source, call(**fields), False)


@settings(max_examples=1000, deadline=None)
@given(
    config=st.sampled_from(sorted(CONFIGS)),
    kind=st.sampled_from(["track", "page"]),
    feature=text,
    user=text,
    message=st.one_of(text, st.text(min_size=120, max_size=140)),
    moment=timestamps(),
    account=st.one_of(text, st.sampled_from(["acct-1", "ext-1", " ext-2"])),
    role=roles,
)
def test_well_formed_calls_give_the_models_bytes(
    config: str,
    kind: str,
    feature: str,
    user: str,
    message: str,
    moment: object,
    account: str,
    role: object,
) -> None:
    """Calls of the usual shape, their text and times anything: the fast path's bytes."""
    source = SOURCES[config]
    document = call(
        type=kind,
        event=feature,
        name=feature,
        userId=user,
        messageId=message,
        timestamp=moment,
        context={"groupId": account, "traits": {"role": role}, "roles": [role]},
    )
    assert outcome(source, document, True) == outcome(source, document, False)
