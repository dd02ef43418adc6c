"""Sentiment: NPS definition, latest answer per respondent, role weights, window."""

from __future__ import annotations

import pytest

from models.components import sentiment_signals
from models.components.sentiment import weighted_nps
from tests.unit.models.test_model_factories import ago, build, context, nps


def test_nps_is_percent_promoters_minus_percent_detractors() -> None:
    assert weighted_nps([(s, 1.0) for s in (10, 9, 8, 7, 6, 0)]) == pytest.approx(0)
    assert weighted_nps([(s, 1.0) for s in (10, 10, 9, 0)]) == pytest.approx(50)
    assert weighted_nps([(7, 1.0), (8, 1.0)]) == 0  # passives only
    assert weighted_nps([(3, 1.0)]) == -100


def test_role_weighted_nps_by_hand() -> None:
    events = [
        nps("r1", 2, ago(5), "business_executive"),  # detractor, weight 3
        nps("r2", 10, ago(5), "end_user"),  # promoter, weight 1
        nps("r3", 8, ago(5), "end_user"),  # passive, weight 1
        nps("r4", 3, ago(50)),  # superseded by the later answer below
        nps("r4", 9, ago(10)),  # promoter, no role: weight 1
    ]
    [signal] = sentiment_signals(build(events), context())
    # weights: 3 + 1 + 1 + 1 = 6; NPS = 100 * (2 - 3) / 6 = -16.7 on [-50, 15] -> [0, 45]
    assert signal.value == pytest.approx(45 - 30 * (100 / 6) / 50)
    assert signal.text == (
        "Detractor NPS (2) from a business executive; weighted NPS -17 from 4 respondents "
        "(2 promoters, 1 detractor)"
    )


def test_executive_detractor_weighs_more_than_an_end_user() -> None:
    base = [nps("p1", 10, ago(3), "end_user"), nps("p2", 9, ago(3), "end_user")]
    executive = sentiment_signals(
        build([*base, nps("d", 1, ago(2), "finance_executive")]), context()
    )
    end_user = sentiment_signals(build([*base, nps("d", 1, ago(2), "end_user")]), context())
    assert executive[0].value < end_user[0].value


def test_answers_outside_the_window_do_not_count() -> None:
    window = context().model.windows.sentiment
    state = build([nps("r", 0, ago(window - 2))])
    assert sentiment_signals(state, context()) != []
    assert sentiment_signals(state, context(ago(-5))) == []


def test_it_leader_reads_naturally() -> None:
    [signal] = sentiment_signals(build([nps("r", 4, ago(1), "it_leader")]), context())
    assert signal.text.startswith("Detractor NPS (4) from an IT leader;")


def test_an_anonymous_repeat_answer_keeps_the_respondents_role() -> None:
    events = [nps("r", 1, ago(9), "finance_executive"), nps("r", 2, ago(2))]
    for order in (events, events[::-1]):
        [signal] = sentiment_signals(build(order), context())
        assert signal.text.startswith("Detractor NPS (2) from a finance executive;")
