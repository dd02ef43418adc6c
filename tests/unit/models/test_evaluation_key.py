"""What identifies an evaluation: the state it was scored from and its result, not the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.health import Health, evaluation_key
from models.scoring import score
from models.state import apply_event
from tests.unit.models.test_model_factories import MODEL, T0, ago, build, login, profile, ticket


def test_the_state_version_counts_accepted_activity_events_once() -> None:
    events = [login("u1", ago(1)), login("u2", ago(2)), ticket("t1", "opened", ago(3), "high")]
    state = build(events)
    assert state.state_version == 3
    for event in events:  # a producer retry, or input re-read after a crash
        apply_event(state, event, MODEL, T0)
    assert state.state_version == 3
    apply_event(state, login("u3", ago(1)), MODEL, T0)
    assert state.state_version == 4


def test_profile_upserts_leave_the_state_version_alone_whatever_their_order() -> None:
    older = profile(at=ago(5), name="Acme")
    newer = profile(at=ago(1), name="Acme Corp")
    activity = login("u1", ago(1))
    one_way, other_way = build([older, newer, activity]), build([newer, older, activity])
    assert one_way.state_version == other_way.state_version == 1
    assert one_way.model_dump() == other_way.model_dump()


def test_the_same_state_scored_again_later_has_the_same_key() -> None:
    state = build([profile(), login("u1", ago(1)), login("u2", ago(3))])
    first, again = score(state, T0, MODEL), score(state, T0 + timedelta(seconds=5), MODEL)
    assert first.updated_at != again.updated_at
    assert evaluation_key(first) == evaluation_key(again)


def test_a_new_event_or_a_clock_that_moved_the_score_is_a_new_evaluation() -> None:
    state = build([profile(), login("u1", ago(1))])
    first = score(state, T0, MODEL)
    much_later = score(state, T0 + timedelta(days=20), MODEL)
    assert much_later.score != first.score
    assert evaluation_key(much_later) != evaluation_key(first)
    apply_event(state, ticket("t1", "opened", ago(0, 1), "urgent"), MODEL, T0)
    assert evaluation_key(score(state, T0, MODEL)) != evaluation_key(first)


def test_a_profile_upsert_that_changes_the_result_is_a_new_evaluation() -> None:
    state = build([profile(at=ago(5), segment="smb"), login("u1", ago(1))])
    before = score(state, T0, MODEL)
    apply_event(state, profile(at=ago(1), segment="enterprise"), MODEL, T0)
    after = score(state, T0, MODEL)
    assert after.state_version == before.state_version
    assert evaluation_key(after) != evaluation_key(before)


def test_a_health_without_a_state_version_is_keyed_by_its_clock() -> None:
    data = score(build([login("u1", ago(1))]), T0, MODEL).model_dump()
    data.update(state_version=None, updated_at=datetime(2026, 1, 2, 3, 4, 5, 60, tzinfo=UTC))
    assert evaluation_key(Health.model_validate(data)) == "at:2026-01-02T03:04:05.000060"
