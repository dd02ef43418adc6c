"""Engagement: trend, DAU/MAU, recency, breadth, champion and sponsor, computed by hand."""

from __future__ import annotations

import pytest

from models.components import Signal, engagement_signals
from models.components.engagement import user_days
from models.events import Event
from models.model_config import HealthModel
from tests.unit.models.test_model_factories import MODEL, ago, build, context, login, profile


def values(signals: list[Signal]) -> dict[str, float]:
    return {s.factor: s.value for s in signals}


def scenario() -> list[Event]:
    # a: every other day 0..28 days ago -> 15 days in 30, 4 in the last 7 (0, 2, 4, 6)
    events: list[Event] = [login("a", ago(d, hours=1)) for d in range(0, 30, 2)]
    # b: every day 10..29 days ago -> 20 days in 30, none in the last 7
    events += [login("b", ago(d, hours=1)) for d in range(10, 30)]
    # eight more users once, 20 days ago; c only 40 days ago (outside 30 days)
    events += [login(f"x{i}", ago(20, hours=1)) for i in range(8)]
    events += [login("c", ago(40, hours=1), feature="admin")]
    events += [login("a", ago(0, hours=1), feature="reports")]
    events += [login("b", ago(10, hours=1), feature="export")]
    events += [profile(champion_user_id="a", sponsor_user_id="c")]
    return events


def active_days(last: int, mask: int, today: int, window: int) -> int:
    return user_days({"u": [last, mask]}, today, 1, window).baseline


def test_user_days_counts_mask_bits_inside_the_window() -> None:
    assert active_days(100, 0b1011, 100, 2) == 2  # days 100 and 99
    assert active_days(100, 0b1011, 100, 7) == 3  # 100, 99, 97
    assert active_days(100, 0b1011, 102, 3) == 1  # window 100..102
    assert active_days(100, 0b1011, 140, 30) == 0
    assert active_days(101, 0b11, 100, 1) == 1  # a login dated tomorrow is not today


def test_engagement_factors_by_hand() -> None:
    signals = engagement_signals(build(scenario()), context())
    got = values(signals)
    # user-days in 30 d: a 15 + b 20 + x 8 = 43 -> DAU30 = 43/30; in 7 d: 4 -> DAU7 = 4/7
    dau30, dau7 = 43 / 30, 4 / 7
    trend = dau7 / dau30  # 0.3987 on [0, 0] -> [0.4, 30]
    assert got["trend"] == pytest.approx(30 * trend / 0.4)
    stickiness = dau30 / 10  # 10 monthly users -> 0.1433 on [0.05, 30] -> [0.15, 65]
    assert got["stickiness"] == pytest.approx(30 + 35 * (stickiness - 0.05) / 0.1)
    assert got["recency"] == 100  # last login 1 h ago
    assert got["breadth"] == pytest.approx(52.5)  # reports + export in 30 d; 2 on [1,35]-[3,70]
    assert got["champion"] == 100  # a logged in today
    assert got["sponsor"] == pytest.approx(100 - 50 * 10 / 30)  # c: 40 days on [30,100]-[60,50]


def test_champion_silence_is_named_in_days() -> None:
    events = [profile(champion_user_id="champ"), login("champ", ago(23)), login("u", ago(0))]
    signals = {s.factor: s for s in engagement_signals(build(events), context())}
    assert signals["champion"].text == "No login by the champion for 23 days"
    assert signals["champion"].value == pytest.approx(10 + 50 * (30 - 23) / 16)
    assert "sponsor" not in signals  # no sponsor named: left out


def test_unknown_champion_counts_as_absent_for_the_whole_window() -> None:
    events = [profile(champion_user_id="ghost"), login("u", ago(0))]
    signals = {s.factor: s for s in engagement_signals(build(events), context())}
    assert signals["champion"].value == 0
    assert signals["champion"].text == "No login by the champion in the last 180 days"


def test_no_logins_means_no_engagement_data() -> None:
    assert engagement_signals(build([profile()]), context()) == []


def test_breadth_is_left_out_when_logins_carry_no_feature() -> None:
    signals = values(engagement_signals(build([login("u", ago(1))]), context()))
    assert "breadth" not in signals
    assert set(signals) == {"trend", "stickiness", "recency", "activity", "active_users"}


def test_silence_drives_trend_and_recency_to_zero() -> None:
    state = build([login("u", ago(d)) for d in range(30)])
    later = values(engagement_signals(state, context(ago(-60))))
    assert later == {"trend": 0, "stickiness": 0, "recency": 0, "activity": 0, "active_users": 0}


def with_features(key: dict[str, float], risk: dict[str, float]) -> HealthModel:
    data = MODEL.model_dump(mode="json")
    data["components"]["engagement"].update(key_features=key, risk_features=risk)
    return HealthModel.model_validate(data)


def test_key_features_score_the_weighted_share_used_and_name_the_missing_ones() -> None:
    model = with_features({"share": 3, "invite": 1, "integrate": 1}, {})
    events = [
        login("u", ago(2), feature="share"),
        login("u", ago(5), feature="invite"),
        login("u", ago(45), feature="integrate"),  # outside the 30-day baseline
        login("u", ago(1), feature="reports"),  # not a key feature
    ]
    signals = {s.factor: s for s in engagement_signals(build(events), context(model=model))}
    share = 4 / 5  # share 3 + invite 1 of 5
    assert signals["key_features"].value == pytest.approx(60 + 40 * (share - 0.5) / 0.5)
    assert signals["key_features"].text == (
        "Uses 2 of 3 key features in the last 30 days; not integrate"
    )
    assert "risk_actions" not in signals, "the model names no risk features"


def test_risk_actions_in_the_recent_window_pull_engagement_down() -> None:
    model = with_features({}, {"export_all": 2, "remove_user": 1})
    calm = [login("u", ago(1)), login("u", ago(20), feature="export_all")]
    leaving = [*calm, login("u", ago(3), feature="export_all")]
    score_of = {
        name: {s.factor: s for s in engagement_signals(build(ev), context(model=model))}
        for name, ev in (("calm", calm), ("leaving", leaving))
    }
    assert score_of["calm"]["risk_actions"].value == 100
    assert score_of["leaving"]["risk_actions"].value == pytest.approx(40 - 40 * (2 - 1) / 2)
    assert score_of["leaving"]["risk_actions"].text == (
        "Risk actions in the last 7 days: export_all"
    )
    assert "key_features" not in score_of["calm"]


def test_a_model_file_without_key_or_risk_features_scores_as_before() -> None:
    data = MODEL.model_dump(mode="json")
    for name in ("key_features", "risk_features"):
        del data["components"]["engagement"][name]
    for name in ("key_features", "risk_actions"):
        del data["components"]["engagement"]["factors"][name]
    older = HealthModel.model_validate(data)
    state = build(scenario())
    assert values(engagement_signals(state, context(model=older))) == values(
        engagement_signals(state, context())
    )
