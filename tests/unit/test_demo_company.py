"""The demo company: valid events, live ticks, and churn that follows hidden health."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from models.events import TOPIC_EVENTS
from streams.demo_company import Company

START = date(2025, 1, 1)


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
            outcomes[event["status"]] += 1
            health = health_at_renewal[event["account_id"]]
            (churned_health if event["status"] == "churned" else kept_health).append(health)
    assert 130 <= sum(outcomes.values()) <= 200  # about one renewal per account-year
    assert outcomes["churned"] >= 10
    assert sum(churned_health) / len(churned_health) < sum(kept_health) / len(kept_health) - 0.15
    churned = {a.account_id for a in company.accounts if a.churned}
    later = company.day(START + timedelta(days=400))
    assert not any(e["account_id"] in churned for events in later.values() for e in events)
