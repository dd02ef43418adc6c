"""How an account's lifecycle follows from its contract outcomes and logins."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from models.health import Health
from models.lifecycle.derive import account_lifecycle
from models.lifecycle.status import NEVER_CHURNED, Lifecycle, LifecycleStatus, ResurrectedBy
from models.model_config import HealthModel
from models.scoring import score
from models.state import AccountState
from tests.unit.models.test_model_factories import MODEL, T0, ago, build, login, renewal

RULES = MODEL.lifecycle


def day_of(moment: datetime) -> date:
    return moment.date()


def churn(contract: str, days_ago: float, arr: float = 10_000) -> Any:
    return renewal(contract, "churned", ago(days_ago), day_of(ago(days_ago)), arr)


def renew(contract: str, days_ago: float, status: str = "renewed", arr: float = 10_000) -> Any:
    return renewal(contract, status, ago(days_ago), day_of(ago(days_ago)), arr)


def lifecycle_of(events: list[Any], model: HealthModel = MODEL) -> Lifecycle:
    return account_lifecycle(build(events, model=model), model.lifecycle)


def with_lifecycle(**rules: Any) -> HealthModel:
    data = MODEL.model_dump(mode="json")
    resurrection = {**data["lifecycle"]["resurrection"], **rules}
    data["lifecycle"] = {**data["lifecycle"], "resurrection": resurrection}
    return HealthModel.model_validate(data)


def test_an_account_without_outcomes_or_with_only_renewals_is_active() -> None:
    assert lifecycle_of([]).status is LifecycleStatus.ACTIVE
    assert lifecycle_of([renew("c1", 50), renew("c2", 10, "expanded")]) == Lifecycle()


def test_a_churn_is_dated_by_its_event_and_carries_the_arr_lost() -> None:
    lifecycle = lifecycle_of([churn("c1", 20, 12_900)])
    assert lifecycle.status is LifecycleStatus.CHURNED
    assert (lifecycle.churned_on, lifecycle.arr_lost, lifecycle.churns) == (
        day_of(ago(20)),
        12_900,
        1,
    )


def test_contracts_churning_while_churned_add_to_the_same_churn() -> None:
    lifecycle = lifecycle_of([churn("c1", 20, 1_000), churn("c2", 12, 2_500)])
    assert lifecycle.churns == 1
    assert (lifecycle.churned_on, lifecycle.arr_lost) == (day_of(ago(20)), 3_500)


def test_a_churn_on_a_day_that_also_renews_another_contract_is_partial() -> None:
    events = [churn("c1", 20), renew("c2", 20, "contracted")]
    assert lifecycle_of(events).status is LifecycleStatus.ACTIVE


def test_a_renewal_on_a_later_day_brings_a_churned_account_back() -> None:
    lifecycle = lifecycle_of([churn("c1", 30), renewal("c2", "expanded", ago(10), T0.date(), 5, 8)])
    assert lifecycle.status is LifecycleStatus.RESURRECTED
    assert lifecycle.resurrected_on == day_of(ago(10))
    (episode,) = lifecycle.episodes
    assert episode.resurrected_by is ResurrectedBy.RENEWAL
    assert episode.arr_won_back == 8


def test_winning_the_churned_contract_back_counts_too() -> None:
    lifecycle = lifecycle_of([churn("c1", 30), renew("c1", 5)])
    assert lifecycle.status is LifecycleStatus.RESURRECTED
    assert lifecycle.churned_on == day_of(ago(30))


def test_a_contracted_renewal_brings_an_account_back_only_if_the_model_says_so() -> None:
    events = [churn("c1", 30), renew("c2", 10, "contracted")]
    assert lifecycle_of(events).status is LifecycleStatus.CHURNED
    lenient = with_lifecycle(renewal_statuses=["renewed", "expanded", "contracted"])
    assert lifecycle_of(events, lenient).status is LifecycleStatus.RESURRECTED


def test_logins_on_enough_days_soon_after_the_churn_bring_it_back_on_the_last_of_them() -> None:
    before = [login("u1", ago(d)) for d in range(41, 60)]  # before the churn: no count
    after = [login(f"u{d % 3}", ago(d)) for d in range(39, 29, -1)]  # 10 days
    lifecycle = lifecycle_of([*before, churn("c1", 40), *after])
    assert lifecycle.status is LifecycleStatus.RESURRECTED
    assert lifecycle.resurrected_on == day_of(ago(30))
    assert lifecycle.episodes[0].resurrected_by is ResurrectedBy.ACTIVITY
    assert lifecycle.episodes[0].arr_won_back is None
    assert lifecycle_of([*before, churn("c1", 40), *after[:-1]]).churned


def test_logins_after_the_resurrection_window_do_not_count() -> None:
    late = [login("u1", ago(d)) for d in range(40, 5, -1)]  # 35 days from the day after
    model = with_lifecycle(active_days=10, within_days=10)
    sparse = [e for i, e in enumerate(late) if i % 2 == 0]  # every other day: 5 within 10
    assert lifecycle_of([churn("c1", 41), *sparse], model).churned
    assert not lifecycle_of([churn("c1", 41), *late], model).churned


def test_without_renewal_statuses_or_active_days_a_churn_is_final() -> None:
    final = with_lifecycle(renewal_statuses=[], active_days=0)
    events = [churn("c1", 60), renew("c2", 30), *(login("u1", ago(d)) for d in range(59, 20, -1))]
    assert lifecycle_of(events, final).churned


def test_churning_again_soon_after_coming_back_is_a_rechurn() -> None:
    def lifecycle_after(days_back: int) -> Lifecycle:
        return lifecycle_of([churn("c1", 170), renew("c2", 160), churn("c2", 160 - days_back)])

    soon, late = (
        lifecycle_after(RULES.rechurn_within_days),
        lifecycle_after(RULES.rechurn_within_days + 1),
    )
    assert soon.churns == late.churns == 2
    assert soon.churned and late.churned
    assert soon.episodes[0].rechurned and not late.episodes[0].rechurned
    assert not soon.episodes[1].rechurned
    assert soon.churned_on == day_of(ago(160 - RULES.rechurn_within_days))


def test_a_state_stored_before_lifecycles_were_tracked_loads_as_never_churned() -> None:
    stored = build([churn("c1", 10), login("u1", ago(1))]).model_dump(mode="json")
    del stored["outcomes"], stored["login_days"]
    old = AccountState.model_validate_json(json.dumps(stored))
    assert old.outcomes == {} and old.login_days == {}
    assert account_lifecycle(old, RULES).status is LifecycleStatus.ACTIVE


def test_the_outcome_ledger_keeps_the_latest_outcomes_up_to_its_cap() -> None:
    cap = MODEL.limits.max_outcomes
    events = [renew(f"c{i}", 150 - i * 2) for i in range(cap + 5)]
    state = build(events)
    assert len(state.outcomes) <= cap
    newest = max(int(r[0]) for r in state.outcomes.values())
    assert newest == int(ago(150 - (cap + 4) * 2).timestamp())


def test_a_health_published_before_lifecycles_were_tracked_validates_as_never_churned() -> None:
    stored = score(build([churn("c1", 10)]), T0, MODEL).model_dump(mode="json")
    assert stored["lifecycle"]["status"] == "churned"
    del stored["lifecycle"]
    old = Health.model_validate_json(json.dumps(stored))
    assert old.lifecycle is None and old.current_lifecycle == NEVER_CHURNED
