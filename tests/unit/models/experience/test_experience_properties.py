"""Properties of the CX counts and figures over any accounts and any events."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from models.events import Role
from models.experience.counts import (
    PERSONAS,
    ActivityCounts,
    CsatCounts,
    EffortCounts,
    Experience,
    FirstReplyCounts,
    PersonaCounts,
)
from models.experience.derive import account_experience
from models.experience.figures import (
    Dimension,
    ExperienceFigures,
    Member,
    customer_experience,
    experience_figures,
)
from tests.unit.models.test_model_factories import MODEL, T0, ago, build, login, nps, ticket

FAST = settings(max_examples=150, deadline=None)
TODAY = int(T0.timestamp()) // 86_400
small = st.integers(0, 40)


@st.composite
def experiences(draw: st.DrawFn) -> Experience:
    answers = draw(small)
    satisfied = draw(st.integers(0, answers))
    users = draw(small)
    days = draw(st.integers(1, 62))
    efforts = draw(small)
    return Experience(
        personas=draw(
            st.dictionaries(
                st.sampled_from(PERSONAS),
                st.builds(
                    PersonaCounts,
                    promoters=small,
                    passives=small,
                    detractors=small,
                    active_users=small,
                ),
            )
        ),
        csat=CsatCounts(
            answers=answers,
            satisfied=satisfied,
            total=draw(st.integers(answers + 3 * satisfied, 3 * answers + 2 * satisfied))
            if answers
            else 0,
        ),
        effort=EffortCounts(answers=efforts, total=draw(st.integers(efforts, 7 * efforts))),
        first_reply=FirstReplyCounts(
            tickets=draw(small), hours=draw(st.floats(0, 1e4, allow_nan=False))
        ),
        activity=ActivityCounts(
            users=users, user_days=draw(st.integers(users, users * days)), days=days
        ),
    )


members = st.builds(
    Member,
    segment=st.sampled_from(["smb", "enterprise", None]),
    region=st.sampled_from(["emea", None]),
    line_of_business=st.sampled_from(["payments", "analytics"]),
    csm_owner=st.sampled_from(["dana", "lee", None]),
    churned=st.booleans(),
    experience=experiences(),
)


def counts_of(figures: ExperienceFigures) -> dict[str, Any]:
    """What the figures are computed from: every count, no ratio."""
    return {
        "accounts": figures.accounts,
        "personas": {
            p: (f.promoters, f.passives, f.detractors, f.active_users)
            for p, f in figures.personas.items()
        },
        "csat": (figures.csat.answers, figures.csat.satisfied),
        "effort": figures.effort.answers,
        "replies": figures.first_reply.tickets,
        "activity": (figures.activity.active_users, figures.activity.user_days),
    }


def add_counts(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    def add(x: Any, y: Any) -> Any:
        if isinstance(x, dict):
            return {key: add(x[key], y[key]) for key in x}
        if isinstance(x, tuple):
            return tuple(i + j for i, j in zip(x, y, strict=True))
        return x + y

    return add(a, b)


@FAST
@given(st.lists(experiences(), max_size=12))
def test_every_figure_stays_in_its_range(accounts: list[Experience]) -> None:
    figures = experience_figures(accounts)
    for group in (figures.nps, *figures.personas.values()):
        assert (group.nps is None) == (group.answers == 0)
        assert group.nps is None or -100 <= group.nps <= 100
    assert figures.nps.answers == sum(p.answers for p in figures.personas.values())
    assert figures.csat.csat is None or 0 <= figures.csat.csat <= 1
    assert figures.csat.mean is None or 1 <= figures.csat.mean <= 5
    assert figures.effort.mean is None or 1 <= figures.effort.mean <= 7
    assert figures.activity.dau_mau is None or 0 <= figures.activity.dau_mau <= 1 + 1e-12


@FAST
@given(st.lists(experiences(), max_size=12), st.integers(0, 12))
def test_the_figures_of_a_split_add_up_to_those_of_the_whole(
    accounts: list[Experience], cut: int
) -> None:
    whole = experience_figures(accounts)
    first, second = experience_figures(accounts[:cut]), experience_figures(accounts[cut:])
    assert counts_of(whole) == add_counts(counts_of(first), counts_of(second))
    # The NPS of the whole is that of all its answers, not the mean of the parts' NPS.
    promoters = first.nps.promoters + second.nps.promoters
    detractors = first.nps.detractors + second.nps.detractors
    answers = first.nps.answers + second.nps.answers
    if answers:
        assert whole.nps.nps is not None
        assert abs(whole.nps.nps - 100 * (promoters - detractors) / answers) < 1e-9


@FAST
@given(st.lists(members, max_size=15), st.sampled_from(Dimension), st.randoms())
def test_the_groups_partition_the_active_portfolio_in_any_order(
    accounts: list[Member], by: Dimension, rng: random.Random
) -> None:
    answer = customer_experience(accounts, by, MODEL.windows, "worker")
    active = [m.experience for m in accounts if not m.churned]
    assert counts_of(answer.total) == counts_of(experience_figures(active))
    summed = counts_of(experience_figures([]))
    for group in answer.groups.values():
        summed = add_counts(summed, counts_of(group))
    assert summed == counts_of(answer.total)
    shuffled = accounts[:]
    rng.shuffle(shuffled)
    again = customer_experience(shuffled, by, MODEL.windows, "worker")
    assert counts_of(again.total) == counts_of(answer.total)
    assert list(again.groups) == list(answer.groups) == sorted(answer.groups)


roles = st.one_of(st.none(), st.sampled_from(Role))


@st.composite
def account_events(draw: st.DrawFn) -> list[Any]:
    events: list[Any] = []
    for n in range(draw(st.integers(0, 8))):
        days = draw(st.integers(0, 200))
        events.append(nps(f"r{n % 4}", draw(st.integers(0, 10)), ago(days), draw(roles)))
    for n in range(draw(st.integers(0, 8))):
        events.append(login(f"u{n % 3}", ago(draw(st.integers(0, 60))), role=draw(roles)))
    for n in range(draw(st.integers(0, 4))):
        opened = draw(st.integers(1, 120))
        events.append(ticket(f"t{n}", "opened", ago(opened)))
        events.append(ticket(f"t{n}", "first_response", ago(opened, hours=-2)))
        events.append(
            ticket(
                f"t{n}",
                "resolved",
                ago(opened - 1),
                csat=draw(st.integers(1, 5)),
                effort=draw(st.integers(1, 7)),
            )
        )
    return events


@FAST
@given(account_events(), st.randoms())
def test_the_counts_are_the_same_whatever_order_the_events_came_in(
    events: list[Any], rng: random.Random
) -> None:
    shuffled = events[:]
    rng.shuffle(shuffled)
    first = account_experience(build(events), TODAY, MODEL.windows)
    again = account_experience(build(shuffled), TODAY, MODEL.windows)
    assert first == again
    found = Experience.model_validate(first)
    respondents = {e.respondent_id for e in events if hasattr(e, "respondent_id")}
    assert sum(c.answers for c in found.personas.values()) <= len(respondents)
    assert sum(c.active_users for c in found.personas.values()) == found.activity.users
