"""Segment-spec calls mapped to logins and account profiles."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from gateway.source import Unmappable
from models.events import AccountProfile, LifecycleStage, LoginEvent, Role
from tests.unit.gateway.support import RECEIVED, fixture, source


def test_a_track_call_is_a_login_of_its_user_with_the_event_as_feature() -> None:
    mapped = source("segment").map(fixture("segment_track"), RECEIVED)
    assert mapped.ignored == 0
    [out] = mapped.events
    assert out.topic == "logins"
    assert out.event == LoginEvent(
        event_id="segment:ajs-next-69ff0c1e-6a41-4b5e-8d7f-2f1f1f0c9a01",
        account_id="acme-corp",
        occurred_at=datetime(2026, 3, 2, 10, 15, 30, 512000, tzinfo=UTC),
        user_id="u-4411",
        role=Role.DEPARTMENT_MANAGER,  # "Department Manager" in context.traits.role
        feature="Report Exported",
    )


def test_a_page_call_is_a_login_whose_feature_is_the_page_name() -> None:
    [out] = source("segment").map(fixture("segment_page"), RECEIVED).events
    assert isinstance(out.event, LoginEvent)
    assert out.event.feature == "Billing Settings"
    assert out.event.role is None


def test_a_group_call_upserts_the_account_profile_from_its_traits() -> None:
    [out] = source("segment").map(fixture("segment_group"), RECEIVED).events
    assert out.topic == "accounts"
    assert out.event == AccountProfile(
        event_id="segment:api-2Lq7rKq4tW5mU0bT3wXyZ1aBcDe",
        account_id="acme-corp",
        occurred_at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        name="Acme Corp",
        arr=120000.0,
        segment="enterprise",
        region="EMEA",
        line_of_business="Manufacturing",
        csm_owner="jo@vendor.example",
        renewal_date=date(2026, 9, 30),
        lifecycle_stage=LifecycleStage.ADOPTION,
        champion_user_id="u-4411",
    )


def test_identify_is_ignored_by_default_and_a_login_with_its_role_when_configured(
    tmp_path: Path,
) -> None:
    call = fixture("segment_identify")
    default = source("segment").map(call, RECEIVED)
    assert (default.events, default.ignored) == ((), 1)
    configured = source("segment", "segment:\n  identify: login\n", tmp_path)
    [out] = configured.map(call, RECEIVED).events
    assert isinstance(out.event, LoginEvent)
    assert (out.event.user_id, out.event.role, out.event.feature) == (
        "u-4411",
        Role.FINANCE_EXECUTIVE,
        None,
    )


def test_a_batch_maps_each_call_and_counts_screen_alias_and_anonymous_calls_ignored() -> None:
    mapped = source("segment").map(fixture("segment_batch"), RECEIVED)
    assert [o.event.event_id for o in mapped.events] == [
        "segment:batch-msg-001",
        "segment:batch-msg-005",
    ]
    assert mapped.ignored == 3  # screen, alias, and the anonymous page view
    assert isinstance(mapped.events[1].event, LoginEvent)
    assert mapped.events[1].event.role is Role.IT_LEADER


def test_one_bad_call_in_a_batch_rejects_the_request_naming_its_position() -> None:
    batch = fixture("segment_batch")
    del batch["batch"][4]["timestamp"]
    with pytest.raises(Unmappable, match=r"^batch\.4\.timestamp: missing"):
        source("segment").map(batch, RECEIVED)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("messageId", None, "messageId: missing"),
        ("timestamp", "yesterday", "timestamp: not an ISO 8601"),
        ("timestamp", "2026-03-02T10:15:30", "timestamp: timestamp without a UTC offset"),
        ("event", "", "event: a track call needs its event name"),
        ("type", None, "type: missing"),
        ("type", "teleport", "type: unknown Segment call type"),
    ],
)
def test_an_unmappable_call_names_the_field(field: str, value: object, message: str) -> None:
    call = fixture("segment_track")
    if value is None:
        del call[field]
    else:
        call[field] = value
    with pytest.raises(Unmappable, match=message):
        source("segment").map(call, RECEIVED)


def test_a_call_without_an_account_is_refused_by_default_and_ignored_when_configured(
    tmp_path: Path,
) -> None:
    call = fixture("segment_track")
    del call["context"]["groupId"]
    with pytest.raises(Unmappable, match=r"context\.groupId: no account id"):
        source("segment").map(call, RECEIVED)
    lenient = source(
        "segment",
        "segment:\n  account:\n    path: context.groupId\n    when_unknown: ignore\n",
        tmp_path,
    )
    assert lenient.map(call, RECEIVED).ignored == 1


def test_the_account_can_come_from_a_property_path_through_a_lookup_table(
    tmp_path: Path,
) -> None:
    config = """
segment:
  account:
    path: [properties.workspace, context.groupId]
    lookup:
      ws-77: acme-corp
"""
    call = fixture("segment_track")
    call["properties"]["workspace"] = "ws-77"
    del call["context"]["groupId"]
    [out] = source("segment", config, tmp_path).map(call, RECEIVED).events
    assert out.event.account_id == "acme-corp"
    call["properties"]["workspace"] = "ws-unknown"
    with pytest.raises(Unmappable, match=r"properties\.workspace: 'ws-unknown' is not in"):
        source("segment", config, tmp_path).map(call, RECEIVED)


def test_track_events_outside_the_allow_list_are_ignored(tmp_path: Path) -> None:
    only = source("segment", "segment:\n  track_events: [Dashboard Viewed]\n", tmp_path)
    mapped = only.map(fixture("segment_batch"), RECEIVED)
    assert [o.event.event_id for o in mapped.events] == ["segment:batch-msg-001"]
    assert mapped.ignored == 4


def test_role_aliases_from_the_config_name_roles(tmp_path: Path) -> None:
    config = "segment:\n  roles:\n    Department Manager: end_user\n"
    [out] = source("segment", config, tmp_path).map(fixture("segment_track"), RECEIVED).events
    assert isinstance(out.event, LoginEvent)
    assert out.event.role is Role.END_USER


def test_an_unknown_role_value_leaves_the_role_out_rather_than_rejecting() -> None:
    call = fixture("segment_track")
    call["context"]["traits"]["role"] = "intern"
    [out] = source("segment").map(call, RECEIVED).events
    assert isinstance(out.event, LoginEvent)
    assert out.event.role is None


def test_group_traits_follow_the_configured_mapping(tmp_path: Path) -> None:
    config = "segment:\n  traits:\n    arr: finance.arr\n    line_of_business: null\n"
    call = fixture("segment_group")
    call["traits"]["finance"] = {"arr": "95,000"}
    [out] = source("segment", config, tmp_path).map(call, RECEIVED).events
    assert isinstance(out.event, AccountProfile)
    assert (out.event.arr, out.event.line_of_business) == (95000.0, None)


@pytest.mark.parametrize(
    ("trait", "value", "message"),
    [
        ("name", None, r"traits\.name: a group call needs the account's name"),
        ("arr", "lots", r"traits\.arr: not a number"),
        ("arr", -5, r"traits\.arr: Input should be greater than or equal to 0"),
        ("arr", "1e400", r"traits\.arr: not a finite number"),
        ("arr", float("inf"), r"traits\.arr: not a finite number"),
        ("arr", True, r"traits\.arr: expected a number"),
        ("lifecycle_stage", "sunset", r"traits\.lifecycle_stage: Input should be"),
        ("renewal_date", "soon", r"traits\.renewal_date: not an ISO 8601"),
    ],
)
def test_a_bad_group_trait_is_refused_naming_it(trait: str, value: object, message: str) -> None:
    call = fixture("segment_group")
    if value is None:
        del call["traits"][trait]
    else:
        call["traits"][trait] = value
    with pytest.raises(Unmappable, match=message):
        source("segment").map(call, RECEIVED)


def test_a_message_id_too_long_for_an_event_id_is_hashed_the_same_way_every_time() -> None:
    call = fixture("segment_track")
    call["messageId"] = "m" * 300
    first = source("segment").map(call, RECEIVED).events[0].event.event_id
    again = source("segment").map(call, RECEIVED).events[0].event.event_id
    call["messageId"] = "m" * 299 + "n"
    other = source("segment").map(call, RECEIVED).events[0].event.event_id
    assert first == again != other
    assert first.startswith("segment:sha256:") and len(first) <= 128


def test_a_long_feature_name_is_cut_to_what_the_event_holds() -> None:
    call = fixture("segment_track")
    call["event"] = "E" * 500
    [out] = source("segment").map(call, RECEIVED).events
    assert isinstance(out.event, LoginEvent)
    assert out.event.feature == "E" * 128
