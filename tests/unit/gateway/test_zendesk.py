"""Zendesk event-subscription payloads and trigger bodies mapped to ticket events."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.source import Unmappable
from models.events import TicketEvent, TicketPriority, TicketStatus
from tests.unit.gateway.support import RECEIVED, fixture, source


def ticket(name: str, config: str | None = None, tmp_path: Path | None = None) -> TicketEvent:
    mapped = source("zendesk", config, tmp_path).map(fixture(name), RECEIVED)
    [out] = mapped.events
    assert out.topic == "tickets"
    assert isinstance(out.event, TicketEvent)
    return out.event


def test_a_created_ticket_is_opened_with_its_priority_and_organization() -> None:
    assert ticket("zendesk_ticket_created") == TicketEvent(
        event_id="zendesk:c0ffee00-1b2c-4d3e-8f90-a1b2c3d4e5f6",
        account_id="361000777",
        occurred_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        ticket_id="5521",
        status=TicketStatus.OPENED,
        priority=TicketPriority.HIGH,
    )


def test_a_public_agent_comment_is_a_first_response() -> None:
    event = ticket("zendesk_comment_added")
    assert (event.status, event.occurred_at) == (
        TicketStatus.FIRST_RESPONSE,
        datetime(2026, 3, 2, 10, 5, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"is_public": False}, "an internal note"),
        ({"author": {"id": "9001", "is_staff": False, "name": "Dana"}}, "the customer writing"),
        ({"author": {"id": "9001", "is_staff": True, "name": "Dana"}}, "staff as requester"),
    ],
)
def test_comments_that_are_no_agent_reply_are_ignored(change: dict[str, object], why: str) -> None:
    payload = fixture("zendesk_comment_added")
    payload["event"]["comment"].update(change)
    mapped = source("zendesk").map(payload, RECEIVED)
    assert (mapped.events, mapped.ignored) == ((), 1), why


def test_an_agent_comment_on_a_solved_ticket_does_not_reopen_it_as_a_response() -> None:
    payload = fixture("zendesk_comment_added")
    payload["detail"]["status"] = "SOLVED"
    assert source("zendesk").map(payload, RECEIVED).ignored == 1


def test_solved_is_resolved_and_solved_to_open_is_reopened() -> None:
    assert ticket("zendesk_status_solved").status is TicketStatus.RESOLVED
    reopened = ticket("zendesk_status_reopened")
    assert (reopened.status, reopened.event_id) == (
        TicketStatus.REOPENED,
        "zendesk:f6f6f6f6-2222-4333-8444-555566667777",
    )


@pytest.mark.parametrize(
    ("previous", "current"), [("NEW", "OPEN"), ("OPEN", "PENDING"), ("SOLVED", "CLOSED")]
)
def test_other_status_changes_are_ignored(previous: str, current: str) -> None:
    payload = fixture("zendesk_status_solved")
    payload["event"] = {"previous": previous, "current": current}
    assert source("zendesk").map(payload, RECEIVED).ignored == 1


def test_other_event_types_are_ignored() -> None:
    payload = fixture("zendesk_ticket_created")
    payload["type"] = "zen:event-type:ticket.tags_changed"
    mapped = source("zendesk").map(payload, RECEIVED)
    assert (mapped.events, mapped.ignored) == ((), 1)


def test_a_ticket_without_priority_takes_the_configured_default(tmp_path: Path) -> None:
    payload = fixture("zendesk_ticket_created")
    payload["detail"]["priority"] = None
    for config, expected in (
        (None, TicketPriority.NORMAL),
        ("zendesk:\n  default_priority: low\n", TicketPriority.LOW),
    ):
        [out] = source("zendesk", config, tmp_path).map(payload, RECEIVED).events
        assert isinstance(out.event, TicketEvent)
        assert out.event.priority is expected


def test_an_unknown_priority_is_refused_naming_the_field_unless_configured(
    tmp_path: Path,
) -> None:
    payload = fixture("zendesk_ticket_created")
    payload["detail"]["priority"] = "P1"
    with pytest.raises(Unmappable, match=r"detail\.priority: unknown priority 'P1'"):
        source("zendesk").map(payload, RECEIVED)
    mapped = source("zendesk", "zendesk:\n  priorities: {P1: urgent}\n", tmp_path)
    [out] = mapped.map(payload, RECEIVED).events
    assert isinstance(out.event, TicketEvent)
    assert out.event.priority is TicketPriority.URGENT


def test_the_organization_goes_through_a_lookup_table_from_a_csv_file(tmp_path: Path) -> None:
    (tmp_path / "orgs.csv").write_text("external_id,account_id\n361000777,acme-corp\n")
    config = "zendesk:\n  account:\n    path: detail.organization_id\n    lookup_file: orgs.csv\n"
    assert ticket("zendesk_ticket_created", config, tmp_path).account_id == "acme-corp"


def test_a_ticket_of_no_organization_is_refused_or_ignored_as_configured(tmp_path: Path) -> None:
    payload = fixture("zendesk_ticket_created")
    payload["detail"]["organization_id"] = None
    with pytest.raises(Unmappable, match=r"detail\.organization_id: no account id"):
        source("zendesk").map(payload, RECEIVED)
    config = "zendesk:\n  account:\n    path: detail.organization_id\n    when_unknown: ignore\n"
    assert source("zendesk", config, tmp_path).map(payload, RECEIVED).ignored == 1


def test_a_trigger_body_maps_its_transition_priority_and_satisfaction() -> None:
    event = ticket("zendesk_trigger_solved")
    assert event == TicketEvent(
        event_id="zendesk:5521:resolved:2026-03-05T12:00:00+00:00",
        account_id="361000777",
        occurred_at=datetime(2026, 3, 5, 12, 0, tzinfo=UTC),
        ticket_id="5521",
        status=TicketStatus.RESOLVED,
        priority=TicketPriority.HIGH,
        csat=5,
    )


@pytest.mark.parametrize(
    ("rating", "csat"),
    [("bad", 1), ("Bad, I'm unsatisfied", 1), ("4", 4), ("offered", None), ("", None)],
)
def test_trigger_satisfaction_ratings_become_csat(rating: str, csat: int | None) -> None:
    payload = fixture("zendesk_trigger_solved")
    payload["satisfaction"] = rating
    [out] = source("zendesk").map(payload, RECEIVED).events
    assert isinstance(out.event, TicketEvent)
    assert out.event.csat == csat


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("status", None, "status: missing"),
        ("status", "escalated", "status: unknown ticket status 'escalated'"),
        ("satisfaction", "meh", "satisfaction: unknown satisfaction rating 'meh'"),
        ("satisfaction", "9", "satisfaction: Input should be less than or equal to 5"),
        ("occurred_at", "now", "occurred_at: not an ISO 8601"),
        ("ticket_id", None, "ticket_id: expected an id"),
    ],
)
def test_a_bad_trigger_body_is_refused_naming_the_field(
    field: str, value: object, message: str
) -> None:
    payload = fixture("zendesk_trigger_solved")
    if value is None:
        del payload[field]
    else:
        payload[field] = value
    with pytest.raises(Unmappable, match=message):
        source("zendesk").map(payload, RECEIVED)


def test_trigger_field_paths_come_from_the_config(tmp_path: Path) -> None:
    config = """
zendesk:
  account: {path: ticket.org}
  trigger:
    ticket_id: ticket.id
    status: hs_status
    priority: ticket.priority
    occurred_at: ticket.updated_at
    satisfaction: null
"""
    body = {
        "hs_status": "first_response",
        "ticket": {
            "id": 88,
            "org": "globex",
            "priority": "urgent",
            "updated_at": "2026-03-06T07:00:00+02:00",
        },
    }
    [out] = source("zendesk", config, tmp_path).map(body, RECEIVED).events
    assert isinstance(out.event, TicketEvent)
    assert (out.event.ticket_id, out.event.account_id, out.event.status, out.event.priority) == (
        "88",
        "globex",
        TicketStatus.FIRST_RESPONSE,
        TicketPriority.URGENT,
    )


def test_the_same_trigger_body_sent_twice_has_the_same_event_id() -> None:
    first = ticket("zendesk_trigger_solved").event_id
    assert ticket("zendesk_trigger_solved").event_id == first
    payload = fixture("zendesk_trigger_solved")
    payload["occurred_at"] = "2026-03-05T12:00:01Z"
    [out] = source("zendesk").map(payload, RECEIVED).events
    assert out.event.event_id != first


def test_zendesk_timestamps_without_seconds_are_read() -> None:
    # {{ticket.updated_at_with_timestamp}} renders like 2026-03-05T12:00Z.
    payload = fixture("zendesk_trigger_solved")
    payload["occurred_at"] = "2026-03-05T12:00Z"
    [out] = source("zendesk").map(payload, RECEIVED).events
    assert out.event.occurred_at == datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
