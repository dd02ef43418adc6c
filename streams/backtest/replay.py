"""Replay a history through the workers' own fold, stopping at scheduled moments.

`replay` streams the history's events in `occurred_at` order into one
`AccountState` per account with `models.state.apply_events`, and calls
`take(key, moment, state)` for every scheduled (moment, account_id, key), once
every event before that moment (and none at or after it) is in that account's
state.

An account's events of one UTC day are folded in one `apply_events` call, with
`now` = the latest of them: within one UTC day that is exactly what folding
them one at a time, each at its own `occurred_at`, does (the state is pruned
for the same day and the same events are too old), at a fraction of the cost.
A pending day is folded as soon as the account's next event falls on a later
day, or a moment scheduled for the account comes up. Events no snapshot will
see — of an account with nothing scheduled, or at or after the account's last
scheduled moment — are validated and counted but not folded.

With a `population` (a model that ranks factors against it), every account
counts, so every event is folded, and at the start of each UTC day every
account's measures as of that midnight replace its contribution — as the
workers' scheduled re-evaluations do — so a snapshot ranks the account among
the others as they stood that day.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from models.event_records import Foldable
from models.model_config import HealthModel
from models.population import Population
from models.scoring import ranked_measures
from models.state import DAY_SECONDS, AccountState, apply_events, new_state, utc_day
from streams.backtest.history import Scan, replay_order

PROGRESS_EVERY = 100_000

# (moment, account_id, key): take a snapshot of that account's state at that moment.
Moment = tuple[datetime, str, int]
Take = Callable[[int, datetime, AccountState], None]


class _Accounts:
    """Every account's state, and the events of its current day not folded yet."""

    def __init__(self, model: HealthModel) -> None:
        self.model = model
        self.states: dict[str, AccountState] = {}
        self.pending: dict[str, list[Foldable]] = {}
        self.pending_day: dict[str, int] = {}

    def add(self, event: Foldable) -> None:
        account = event.account_id
        day = utc_day(event.occurred_at)
        events = self.pending.get(account)
        if events is None:
            if account not in self.states:
                self.states[account] = new_state(account)
            self.pending[account] = [event]
            self.pending_day[account] = day
        elif day == self.pending_day[account]:
            events.append(event)
        else:
            self.fold(account)
            self.pending[account] = [event]
            self.pending_day[account] = day

    def fold(self, account: str) -> None:
        events = self.pending.pop(account, None)
        if events:
            apply_events(self.states[account], events, self.model, events[-1].occurred_at)

    def state(self, account: str) -> AccountState:
        self.fold(account)
        return self.states.get(account) or new_state(account)

    def count_in(self, population: Population, day: int) -> None:
        """Every account's measures at the start of `day` replace its contribution."""
        midnight = datetime.fromtimestamp(day * DAY_SECONDS, UTC)
        for account, state in self.states.items():
            self.fold(account)
            segment = state.profile.segment if state.profile is not None else None
            population.update(account, segment, ranked_measures(state, midnight, self.model))


def replay(
    path: Path,
    found: Scan,
    schedule: Sequence[Moment],
    model: HealthModel,
    take: Take,
    progress: TextIO | None = None,
    population: Population | None = None,
) -> tuple[int, int]:
    """Replay `path` (as `scan` found it), taking the `schedule` (sorted) on the way,
    and keeping `population` (if given) as the workers would.

    Returns the number of invalid lines and of accounts seen.
    """
    accounts = _Accounts(model)
    day: int | None = None
    last_moment: dict[str, datetime] = {}
    for at, account, _ in schedule:  # sorted: the last one per account wins
        last_moment[account] = at
    seen_accounts: set[str] = set()
    pointer = seen = invalid = 0
    for event in replay_order(path, found.in_order):
        seen += 1
        if progress is not None and seen % PROGRESS_EVERY == 0:
            print(f"\rbacktest: {seen:,}/{found.lines:,} events", end="", file=progress, flush=True)
        if event is None:
            invalid += 1
            continue
        if population is not None:
            event_day = utc_day(event.occurred_at)
            while day is None or day < event_day:
                day = event_day if day is None else day + 1
                # Snapshots before this midnight must not see the day's sweep.
                midnight = datetime.fromtimestamp(day * DAY_SECONDS, UTC)
                while pointer < len(schedule) and schedule[pointer][0] < midnight:
                    at, snapshot_of, key = schedule[pointer]
                    take(key, at, accounts.state(snapshot_of))
                    pointer += 1
                accounts.count_in(population, day)
        while pointer < len(schedule) and schedule[pointer][0] <= event.occurred_at:
            at, snapshot_of, key = schedule[pointer]
            take(key, at, accounts.state(snapshot_of))
            pointer += 1
        account = event.account_id
        seen_accounts.add(account)
        until = last_moment.get(account)
        if population is not None or (until is not None and event.occurred_at < until):
            accounts.add(event)
    for at, account, key in schedule[pointer:]:
        take(key, at, accounts.state(account))
    if progress is not None:
        print(f"\rbacktest: {seen:,}/{found.lines:,} events", file=progress, flush=True)
    return invalid, len(seen_accounts)
