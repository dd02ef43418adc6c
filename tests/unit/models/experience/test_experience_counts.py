"""One account's CX counts: which answers, tickets and users count, and where."""

from __future__ import annotations

from typing import Any

from models.events import Role
from models.experience.counts import NO_ROLE, ActivityCounts, Experience, PersonaCounts
from models.experience.derive import account_experience
from models.health import Health
from models.model_config import HealthModel
from models.scoring import score
from models.state import AccountState, prune
from tests.unit.models.test_model_factories import MODEL, T0, ago, build, login, nps, ticket

TODAY = int(T0.timestamp()) // 86_400


def counts(state: AccountState, model: HealthModel = MODEL) -> Experience:
    return Experience.model_validate(account_experience(state, TODAY, model.windows))


def with_windows(**windows: int) -> HealthModel:
    data = MODEL.model_dump(mode="json")
    data["windows"] = {**data["windows"], **windows}
    return HealthModel.model_validate(data)


def test_each_respondent_counts_once_with_the_latest_answer_and_role() -> None:
    state = build(
        [
            nps("r1", 10, ago(30), "finance_executive"),
            nps("r1", 5, ago(3)),  # anonymous now, still the finance executive
            nps("r2", 8, ago(20), "end_user"),
            nps("r3", 9, ago(2)),
        ]
    )
    assert counts(state).personas == {
        Role.FINANCE_EXECUTIVE: PersonaCounts(detractors=1),
        Role.END_USER: PersonaCounts(passives=1),
        NO_ROLE: PersonaCounts(promoters=1),
    }


def test_answers_and_tickets_outside_their_windows_count_nowhere() -> None:
    model = with_windows(sentiment=30, support=14)
    state = build(
        [
            nps("old", 0, ago(31), "it_leader"),
            nps("new", 10, ago(29), "it_leader"),
            ticket("t1", "opened", ago(20)),
            ticket("t1", "first_response", ago(19)),
            ticket("t1", "resolved", ago(15), csat=1, effort=1),
            ticket("t2", "opened", ago(10)),
            ticket("t2", "first_response", ago(10, hours=-3)),
            ticket("t2", "resolved", ago(9), csat=5, effort=7),
        ],
        model=model,
    )
    found = counts(state, model)
    assert found.personas == {Role.IT_LEADER: PersonaCounts(promoters=1)}
    assert (found.csat.answers, found.csat.satisfied, found.csat.total) == (1, 1, 5)
    assert (found.effort.answers, found.effort.total) == (1, 7)
    assert (found.first_reply.tickets, found.first_reply.hours) == (1, 3.0)


def test_a_ticket_still_waiting_for_its_first_reply_has_no_reply_time() -> None:
    found = counts(build([ticket("t1", "opened", ago(2)), ticket("t1", "resolved", ago(1))]))
    assert found.first_reply.tickets == 0
    assert found.csat.answers == 0


def test_active_users_count_per_the_role_their_latest_login_named() -> None:
    state = build(
        [
            login("u1", ago(10), role=Role.END_USER),
            login("u1", ago(5), role=Role.IT_LEADER),  # promoted
            login("u1", ago(1)),  # names no role: keeps it
            login("u2", ago(2)),
            login("u3", ago(40), role=Role.END_USER),  # out of the 30-day window
        ]
    )
    found = counts(state)
    assert found.personas == {
        Role.IT_LEADER: PersonaCounts(active_users=1),
        NO_ROLE: PersonaCounts(active_users=1),
    }
    assert (found.activity.users, found.activity.user_days, found.activity.days) == (2, 4, 30)


def test_a_later_login_in_the_past_does_not_change_a_newer_role() -> None:
    newest_last = [
        login("u1", ago(9), role=Role.END_USER),
        login("u1", ago(3), role=Role.IT_LEADER),
    ]
    newest_first = list(reversed(newest_last))
    assert build(newest_last).user_roles == build(newest_first).user_roles
    assert counts(build(newest_first)).personas[Role.IT_LEADER].active_users == 1


def test_a_user_pruned_from_the_state_leaves_its_role_behind() -> None:
    state = build([login("u1", ago(170), role=Role.END_USER), login("u2", ago(1))])
    assert set(state.user_roles) == {"u1"}
    prune(state, MODEL, TODAY + 20)  # u1's last login is now 190 days old
    assert set(state.users) == {"u2"} and state.user_roles == {}


def test_user_days_count_the_window_ending_today_only() -> None:
    state = build([login("u1", ago(days)) for days in (0, 1, 3, 29, 30)])
    assert counts(state).activity.user_days == 4  # 30 days ago is out of the 30-day window
    ahead = build([login("u1", ago(-1)), login("u1", ago(2))])  # a clock ahead of ours
    assert counts(ahead).activity == ActivityCounts(users=1, user_days=1, days=30)


def test_a_health_stored_before_the_counts_were_carried_still_reads() -> None:
    data: dict[str, Any] = score(build([nps("r1", 9, ago(1))]), T0, MODEL).model_dump(mode="json")
    assert data["experience"]["personas"] == {
        "no_role": {"promoters": 1, "passives": 0, "detractors": 0, "active_users": 0}
    }
    del data["experience"]
    assert Health.model_validate(data).experience is None
