"""The weighted score: missing data, confidence, drivers, stages, and decay with silence."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.events import Event
from models.health import Band
from models.model_config import HealthModel
from models.population import Population
from models.scoring import ranked_measures, score, score_with_measures
from tests.support.model_variants import absolute_data
from tests.unit.models.test_model_factories import (
    MODEL,
    T0,
    ago,
    build,
    login,
    nps,
    profile,
    ticket,
)


def test_no_data_scores_neutral_with_zero_confidence() -> None:
    health = score(build([profile(segment="smb")]), T0, MODEL)
    assert health.score == MODEL.neutral_score == 50
    assert health.band is Band.AT_RISK
    assert health.confidence == 0
    assert health.components == {
        "engagement": None,
        "support": None,
        "sentiment": None,
        "commercial": None,
    }
    assert health.drivers == []
    assert (health.name, health.segment, health.model_version) == ("Acme Corp", "smb", "2026.1")


def test_missing_components_are_left_out_and_the_rest_reweighted() -> None:
    events = [login("u", ago(0)), nps("r", 0, ago(1), "end_user")]
    health = score(build(events), T0, MODEL)
    engagement, sentiment = health.components["engagement"], health.components["sentiment"]
    assert engagement is not None and sentiment is not None
    assert health.components["support"] is None and health.components["commercial"] is None
    # engagement 40, sentiment 20 of a total weight 100
    assert health.confidence == pytest.approx(0.6)
    assert health.score == pytest.approx((40 * engagement + 20 * sentiment) / 60, abs=0.1)


def test_impacts_add_up_to_the_distance_from_neutral() -> None:
    model = MODEL.model_copy(
        update={"drivers": MODEL.drivers.model_copy(update={"negative": 10, "positive": 10})}
    )
    events = [
        profile(champion_user_id="c"),
        login("c", ago(20)),
        login("u", ago(0)),
        ticket("t", "opened", ago(3), "urgent"),
        nps("r", 3, ago(2), "business_executive"),
    ]
    health = score(build(events, model=model), T0, model)
    total = sum(d.impact for d in health.drivers)
    # Drivers under min_impact (0.5) are omitted, and each impact is rounded to 0.1.
    assert total == pytest.approx(health.score - 50, abs=1.5)


def test_drivers_name_the_worst_first_then_the_best() -> None:
    events = [
        profile(champion_user_id="champ"),
        login("champ", ago(23)),
        *[login(f"u{i}", ago(d)) for i in range(3) for d in range(30)],
        ticket("t1", "opened", ago(hours=60), "urgent"),
        ticket("t2", "opened", ago(hours=50), "urgent"),
        nps("r", 2, ago(4), "business_executive"),
    ]
    health = score(build(events), T0, MODEL)
    negatives = [d for d in health.drivers if d.impact < 0]
    positives = [d for d in health.drivers if d.impact > 0]
    assert health.drivers == negatives + positives
    assert len(negatives) == 3 and len(positives) == 2
    assert [d.impact for d in negatives] == sorted(d.impact for d in negatives)
    texts = {d.code: d.text for d in health.drivers}
    assert texts["sentiment.nps"].startswith("Detractor NPS (2) from a business executive")
    assert texts["support.open_tickets"] == "2 urgent tickets open, the oldest for 60 h"
    assert texts["engagement.champion"] == "No login by the champion for 23 days"


def test_lifecycle_stage_overrides_bands() -> None:
    events: list[Event] = [login(f"u{i}", ago(d)) for i in range(4) for d in range(30)]
    plain_state = build(events)
    escalated_state = build([*events, profile(lifecycle_stage="escalation")])
    # Let the account go quiet until its score sits between 70 and 75.
    now = next(
        T0 + timedelta(hours=h)
        for h in range(0, 24 * 30, 3)
        if 70 <= score(plain_state, T0 + timedelta(hours=h), MODEL).score < 75
    )
    plain, escalated = score(plain_state, now, MODEL), score(escalated_state, now, MODEL)
    assert escalated.score == plain.score  # only engagement has data: weights cancel out
    assert (plain.band, escalated.band) == (Band.HEALTHY, Band.AT_RISK)
    assert escalated.lifecycle_stage == "escalation"


def test_silent_account_decays_into_at_risk_and_critical_as_now_advances() -> None:
    events: list[Event] = [profile(champion_user_id="u0", sponsor_user_id="u1")]
    events += [login(f"u{i}", ago(d, hours=i)) for i in range(6) for d in range(60)]
    state = build(events)
    frozen = state.model_dump()
    scores = [score(state, T0 + timedelta(days=d), MODEL) for d in range(0, 91)]
    assert state.model_dump() == frozen  # scoring is pure
    assert scores[0].band is Band.HEALTHY
    values = [h.score for h in scores]
    assert values == sorted(values, reverse=True)
    first_at_risk = next(d for d, h in enumerate(scores) if h.band is Band.AT_RISK)
    first_critical = next(d for d, h in enumerate(scores) if h.band is Band.CRITICAL)
    assert 3 <= first_at_risk < first_critical <= 45
    assert scores[-1].score < 10
    assert scores[first_critical].drivers[0].impact < 0


def test_score_with_measures_gives_the_score_and_the_ranked_measures_of_one_evaluation() -> None:
    data = absolute_data(MODEL)
    for component, factor in (("engagement", "activity"), ("support", "first_reply")):
        data["components"][component]["factors"][factor]["percentile_curve"] = [[0, 0], [1, 100]]
    ranking = HealthModel.model_validate(data)
    state = build([login(f"u{n}", ago(n)) for n in range(5)] + [ticket("t1", "opened", ago(3))])
    population = Population()
    population.update("other", None, {"engagement.activity": 2.0})
    health, measures = score_with_measures(state, T0, ranking, population)
    assert health == score(state, T0, ranking, population)
    assert measures == ranked_measures(state, T0, ranking)
    assert set(measures) == {"engagement.activity"}, "no first reply yet: no measure"
    plain = HealthModel.model_validate(absolute_data(MODEL))
    assert score_with_measures(state, T0, plain) == (score(state, T0, plain), {})
