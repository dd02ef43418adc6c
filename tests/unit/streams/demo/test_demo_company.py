"""The demo company: valid events, live ticks, and churn that follows hidden health."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from models.events import TOPIC_EVENTS
from models.lifecycle.derive import account_lifecycle
from models.lifecycle.status import LifecycleStatus
from models.model_config import load_model
from models.state import AccountState, apply_event, new_state
from streams.cli.main import main
from streams.demo.company import Company
from streams.demo.live import HISTORY_DAYS
from streams.demo.profiles import PROFILES

START = date(2025, 1, 1)
Produced = list[tuple[str, dict[str, Any]]]


def test_every_event_is_valid_for_its_topic() -> None:
    company = Company(12, START, seed=3)
    produced = {"accounts": company.profiles(datetime(2025, 1, 1, tzinfo=UTC))}
    for offset in range(60):
        for topic, events in company.day(START + timedelta(days=offset)).items():
            produced.setdefault(topic, []).extend(events)
    for topic, events in produced.items():
        for event in events:
            TOPIC_EVENTS[topic].model_validate(event)
    assert produced["logins"] and produced["tickets"]


def test_live_ticks_are_a_fraction_of_a_day_with_fresh_ids() -> None:
    company = Company(20, START, seed=3)
    history_ids = {e["event_id"] for e in company.day(START)["logins"]}
    company.go_live("run1")
    ticks = [company.day(START + timedelta(days=1), fraction=0.01) for _ in range(5)]
    live = [e for tick in ticks for e in tick["logins"]]
    assert len(live) < len(history_ids)
    assert all("-run1-" in e["event_id"] for e in live)


def test_accounts_renew_yearly_and_the_unhealthy_churn_more() -> None:
    company = Company(150, START, seed=5)
    health_at_renewal: dict[str, float] = {}
    outcomes: Counter[str] = Counter()
    churned_health, kept_health = [], []
    for offset in range(400):
        for account in company.accounts:
            health_at_renewal[account.account_id] = account.health
        for event in company.day(START + timedelta(days=offset))["renewals"]:
            if event["status"] == "upcoming":
                continue
            outcomes[event["status"]] += 1
            health = health_at_renewal[event["account_id"]]
            (churned_health if event["status"] == "churned" else kept_health).append(health)
    assert 130 <= sum(outcomes.values()) <= 200  # about one renewal per account-year
    assert outcomes["churned"] >= 10
    assert sum(churned_health) / len(churned_health) < sum(kept_health) / len(kept_health) - 0.15
    churned = {a.account_id for a in company.accounts if a.churned}
    later = company.day(START + timedelta(days=400))
    assert not any(e["account_id"] in churned for events in later.values() for e in events)


def _simulate(profile: str, accounts: int, days: int, seed: int = 3) -> Produced:
    company = Company(accounts, START, seed=seed, profile=PROFILES[profile])
    produced = [("accounts", p) for p in company.profiles(datetime(2025, 1, 1, tzinfo=UTC))]
    for offset in range(days):
        for topic, events in company.day(START + timedelta(days=offset)).items():
            produced += [(topic, e) for e in events]
    return produced


def _count(produced: Produced, topic: str) -> int:
    return sum(1 for t, _ in produced if t == topic)


def test_dense_usage_has_about_ten_times_the_logins_and_sparse_a_tenth() -> None:
    default = _count(_simulate("default", 40, 60), "logins")
    assert 8 <= _count(_simulate("dense", 40, 60), "logins") / default <= 12
    assert 0.07 <= _count(_simulate("sparse", 40, 60), "logins") / default <= 0.14


def test_single_user_accounts_have_one_user_and_no_sponsor() -> None:
    produced = _simulate("single-user", 30, 90)
    users: dict[str, set[str]] = {}
    for topic, event in produced:
        if topic in ("logins", "nps"):
            who = event["user_id"] if topic == "logins" else event["respondent_id"]
            users.setdefault(event["account_id"], set()).add(who)
    assert len(users) > 20
    assert all(len(people) == 1 for people in users.values())
    profiles = [e for t, e in produced if t == "accounts"]
    assert all(p["sponsor_user_id"] is None and p["champion_user_id"] for p in profiles)


def test_without_support_signals_there_are_no_tickets_or_nps_answers() -> None:
    produced = _simulate("no-support-signals", 40, 120)
    assert _count(produced, "tickets") == _count(produced, "nps") == 0
    assert _count(produced, "logins") > 1000
    assert _count(_simulate("default", 40, 120), "tickets") > 0


def test_the_default_profile_is_the_demo() -> None:
    explicit = Company(15, START, seed=9, profile=PROFILES["default"])
    implicit = Company(15, START, seed=9)
    for offset in range(30):
        today = START + timedelta(days=offset)
        assert explicit.day(today) == implicit.day(today)


def test_with_many_features_churners_drop_the_value_features_and_export_first() -> None:
    produced = _simulate("features", 120, 400, seed=5)
    profile = PROFILES["features"]
    value = {f for f, _ in profile.value_features}
    risk = set(profile.risk_features)
    assert {e["feature"] for t, e in produced if t == "logins"} == set(profile.features)
    assert len(profile.features) == 20
    outcomes = {
        e["account_id"]: e for t, e in produced if t == "renewals" and e["status"] != "upcoming"
    }

    def shares(status: str) -> tuple[float, float]:
        """Share of logins on value and on risk features in the 60 days before a `status`."""
        logins = value_logins = risk_logins = 0
        for topic, event in produced:
            outcome = outcomes.get(event["account_id"])
            if topic != "logins" or outcome is None or outcome["status"] != status:
                continue
            at, end = (datetime.fromisoformat(e["occurred_at"]) for e in (event, outcome))
            if timedelta(0) < end - at <= timedelta(days=60):
                logins += 1
                value_logins += event["feature"] in value
                risk_logins += event["feature"] in risk
        return value_logins / logins, risk_logins / logins

    churned_value, churned_risk = shares("churned")
    renewed_value, renewed_risk = shares("renewed")
    assert churned_value < renewed_value / 2
    assert churned_risk > 5 * renewed_risk


def test_demo_history_writes_the_profile_asked_for(tmp_path: Path) -> None:
    out = tmp_path / "h.jsonl"
    args = ["--accounts", "10", "--days", "30", "--end", "2025-03-01", "--out", str(out)]
    assert main(["demo-history", *args, "--profile", "no-support-signals"]) == 0
    topics = Counter(json.loads(line)["topic"] for line in out.read_text().splitlines())
    assert topics["logins"] > 100
    assert topics["tickets"] == topics["nps"] == 0


def test_with_winbacks_accounts_churn_come_back_and_churn_again_soon() -> None:
    """The live demo's history (its accounts, seed and days), read by the model itself:
    every churn panel has data before the demo goes live."""
    model = load_model()
    company = Company(300, START, winbacks=True)
    states: dict[str, AccountState] = {}
    now = datetime.combine(START + timedelta(days=HISTORY_DAYS), time(0), UTC)
    for offset in range(HISTORY_DAYS):
        for topic, events in company.day(START + timedelta(days=offset)).items():
            for data in events:
                event = TOPIC_EVENTS[topic].model_validate(data)
                state = states.setdefault(event.account_id, new_state(event.account_id))
                apply_event(state, event, model, now)
    lifecycles = [account_lifecycle(state, model.lifecycle) for state in states.values()]
    statuses = Counter(lifecycle.status for lifecycle in lifecycles)
    assert statuses[LifecycleStatus.CHURNED] >= 3
    assert statuses[LifecycleStatus.RESURRECTED] >= 2
    assert any(e.rechurned for lifecycle in lifecycles for e in lifecycle.episodes)


def test_without_winbacks_churned_accounts_stay_gone() -> None:
    plain, explicit = Company(40, START, seed=5), Company(40, START, seed=5, winbacks=False)
    for offset in range(120):
        today = START + timedelta(days=offset)
        assert plain.day(today) == explicit.day(today)
