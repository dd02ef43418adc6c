"""The live demo's growing accounts: the growth list has candidates of every strength from
the first minute, and a company without expansions is exactly what it was."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from models.events import TOPIC_EVENTS
from models.growth.figures import candidate_of
from models.health import Health
from models.model_config import load_model
from models.scoring import score
from models.state import AccountState, apply_event, new_state
from streams.demo.company import Company
from streams.demo.crm_import import imported_renewals
from streams.demo.expansions import ADD_ONS
from streams.demo.live import GROWTH_DAYS, HISTORY_DAYS

NOW = datetime(2026, 5, 20, 12, tzinfo=UTC)
FIRST_DAY = (NOW - timedelta(days=HISTORY_DAYS)).date()


def live_demo_history() -> tuple[Company, list[Health], set[str]]:
    """The live demo's company and its history up to going live, scored by the default
    model; and the features every login used."""
    model = load_model()
    company = Company(
        300,
        FIRST_DAY,
        winbacks=True,
        renewal_timing=True,
        expansions_from=NOW.date() - timedelta(days=GROWTH_DAYS),
    )
    states: dict[str, AccountState] = {}
    features: dict[str, set[str]] = {}

    def fold(topic: str, data: dict[str, object]) -> None:
        event = TOPIC_EVENTS[topic].model_validate(data)
        state = states.setdefault(event.account_id, new_state(event.account_id))
        apply_event(state, event, model, NOW)
        if topic == "logins":
            features.setdefault(event.account_id, set()).add(str(data["feature"]))

    started = NOW - timedelta(days=HISTORY_DAYS)
    for data in company.profiles(started):
        fold("accounts", data)
    for data in imported_renewals(company, started):
        fold("renewals", data)
    for offset in range(HISTORY_DAYS):
        for topic, events in company.day(FIRST_DAY + timedelta(days=offset)).items():
            for data in events:
                fold(topic, data)
    add_on_users = {a for a, used in features.items() if used & set(ADD_ONS)}
    return company, [score(state, NOW, model) for state in states.values()], add_on_users


def test_the_demo_has_expansion_candidates_of_several_strengths_from_the_start() -> None:
    company, healths, add_on_users = live_demo_history()
    assert company.expansions is not None
    growing = set(company.expansions.growing)
    candidates = [c for h in healths if (c := candidate_of(h)) is not None]
    assert len(candidates) >= 8
    assert len({c.strength for c in candidates}) >= 2
    assert sum(c.account_id in growing for c in candidates) >= 0.8 * len(candidates)
    signals = {d.code for c in candidates for d in c.drivers}
    assert signals == {
        "growth.users_rising",
        "growth.breadth_rising",
        "growth.decision_maker_promoters",
        "growth.renewal_approaching",
    }
    assert add_on_users <= growing  # the add-on modules are the growing accounts' own


def test_without_expansions_the_company_is_what_it_was() -> None:
    start = date(2025, 1, 1)
    plain, explicit = Company(40, start, seed=5), Company(40, start, seed=5, expansions_from=None)
    for offset in range(60):
        today = start + timedelta(days=offset)
        assert plain.day(today) == explicit.day(today)
