"""The live demo's history gives every customer-experience figure and panel data."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from models.events import TOPIC_EVENTS, Role
from models.experience.figures import Dimension, customer_experience, member_of
from models.model_config import load_model
from models.scoring import score
from models.state import AccountState, apply_events, new_state
from streams.demo.company import Company
from streams.demo.live import HISTORY_DAYS

START = date(2025, 1, 1)


def test_every_role_answers_and_logs_in_and_every_group_has_each_figure() -> None:
    """The live demo's accounts and days, as `healthscore demo` sends them before going live."""
    model = load_model()
    company = Company(300, START, winbacks=True, renewal_timing=True)
    now = datetime.combine(START + timedelta(days=HISTORY_DAYS), time(0), UTC)
    states: dict[str, AccountState] = {}
    for offset in range(HISTORY_DAYS):
        for topic, events in company.day(START + timedelta(days=offset)).items():
            for data in events:
                event = TOPIC_EVENTS[topic].model_validate(data)
                state = states.setdefault(event.account_id, new_state(event.account_id))
                apply_events(state, [event], model, now)
    members = [member_of(score(state, now, model)) for state in states.values()]
    known = [member for member in members if member is not None]
    for by in Dimension:
        answer = customer_experience(known, by, model.windows, "worker")
        for role in Role:
            persona = answer.total.personas[role.value]
            assert persona.answers > 0 and persona.active_users > 0, role
        assert len(answer.groups) >= 3, by
        for name, group in answer.groups.items():
            assert group.nps.answers > 0, (by, name)
            assert group.csat.answers > 0 and group.effort.answers > 0, (by, name)
            assert group.first_reply.tickets > 0, (by, name)
            assert group.activity.active_users > 0, (by, name)
