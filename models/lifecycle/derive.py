"""An account's lifecycle, derived from its state: a walk through its contract outcomes.

Outcomes (renewed, expanded, contracted or churned events; one per contract
and day) are taken day by day, in UTC days of their `occurred_at`:

- a day whose outcomes are all `churned` churns an active or resurrected
  account: a churn episode opens on that day with the ARR of those contracts
  lost. A day that also renews another contract is a partial churn (the ARR
  lost shows in the commercial component), not a churn;
- while churned, more churned contracts add their ARR to the open episode;
- a churned account is resurrected on the first day later than the churn
  with an outcome in `resurrection.renewal_statuses` (a new contract, or the
  churned one won back), or on the day it reaches logins on
  `resurrection.active_days` distinct days within `resurrection.within_days`
  days after the churn, whichever comes first;
- an episode is re-churned when the account churns again within
  `rechurn_within_days` days of coming back from it.

Pure and cheap: an account without outcomes is never churned and costs a
dictionary lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby

from models.lifecycle.ledger import CHURNED, O_ARR, O_AT, O_NEW_ARR, O_STATUS, nth_login_day
from models.lifecycle.rules import LifecycleRules
from models.lifecycle.status import (
    NEVER_CHURNED,
    ChurnEpisode,
    Lifecycle,
    LifecycleStatus,
    ResurrectedBy,
)
from models.state import DAY_SECONDS, AccountState
from models.state_records import RENEWAL_CODE

_EPOCH_DAY = date(1970, 1, 1)


@dataclass(slots=True)
class _Episode:
    churned_on: int  # UTC day
    arr_lost: float
    resurrected_on: int | None = None
    resurrected_by: ResurrectedBy | None = None
    arr_won_back: float | None = None


def account_lifecycle(state: AccountState, rules: LifecycleRules) -> Lifecycle:
    """The account's status and churn episodes as its state remembers them."""
    if not state.outcomes:
        return NEVER_CHURNED
    resurrection = rules.resurrection
    winning = frozenset(RENEWAL_CODE[status] for status in resurrection.renewal_statuses)
    episodes: list[_Episode] = []
    current: _Episode | None = None
    # In a total order (time, then the rest of the record, then the contract), so
    # that sums of ARR add up in the same order whatever order the events came in.
    records = [r for r, _ in sorted((r, c) for c, r in state.outcomes.items())]
    for day, of_day in groupby(records, key=lambda r: int(r[O_AT]) // DAY_SECONDS):
        outcomes = list(of_day)
        if current is not None and _back_by_activity(current, state, rules, before=day):
            current = None
        churned = [r for r in outcomes if r[O_STATUS] == CHURNED]
        if current is not None:
            won = [r for r in outcomes if r[O_STATUS] in winning]
            if won:
                current.resurrected_on = day
                current.resurrected_by = ResurrectedBy.RENEWAL
                current.arr_won_back = sum(_arr_after(r) for r in won)
                current = None
            else:
                current.arr_lost += sum(r[O_ARR] for r in churned)
        elif churned and len(churned) == len(outcomes):
            current = _Episode(day, sum(r[O_ARR] for r in churned))
            episodes.append(current)
    if current is not None:
        _back_by_activity(current, state, rules, before=None)
    return _lifecycle(episodes, rules)


def _back_by_activity(
    episode: _Episode, state: AccountState, rules: LifecycleRules, before: int | None
) -> bool:
    """Close `episode` if logins brought the account back before day `before` (None: ever)."""
    resurrection = rules.resurrection
    last = episode.churned_on + resurrection.within_days
    if before is not None:
        last = min(last, before - 1)
    day = nth_login_day(state.login_days, episode.churned_on + 1, last, resurrection.active_days)
    if day is None:
        return False
    episode.resurrected_on = day
    episode.resurrected_by = ResurrectedBy.ACTIVITY
    return True


def _arr_after(record: list[float]) -> float:
    new_arr = record[O_NEW_ARR]
    return new_arr if new_arr >= 0 else record[O_ARR]


def _lifecycle(episodes: list[_Episode], rules: LifecycleRules) -> Lifecycle:
    if not episodes:
        return NEVER_CHURNED
    done = [
        ChurnEpisode(
            churned_on=_date(episode.churned_on),
            arr_lost=episode.arr_lost,
            resurrected_on=None
            if episode.resurrected_on is None
            else _date(episode.resurrected_on),
            resurrected_by=episode.resurrected_by,
            arr_won_back=episode.arr_won_back,
            rechurned=(
                episode.resurrected_on is not None
                and following is not None
                and following.churned_on - episode.resurrected_on <= rules.rechurn_within_days
            ),
        )
        for episode, following in zip(episodes, [*episodes[1:], None], strict=True)
    ]
    last = done[-1]
    back = last.resurrected_on is not None
    return Lifecycle(
        status=LifecycleStatus.RESURRECTED if back else LifecycleStatus.CHURNED,
        churned_on=last.churned_on,
        arr_lost=last.arr_lost,
        resurrected_on=last.resurrected_on,
        churns=len(done),
        episodes=done,
    )


def _date(day: int) -> date:
    return _EPOCH_DAY + timedelta(days=day)
