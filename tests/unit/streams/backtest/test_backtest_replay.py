"""The replay folds an account's day at once; snapshots see what one-by-one folding gives."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from models.events import TOPIC_EVENTS, Event
from models.model_config import load_model
from models.population import Population
from models.scoring import ranked_measures
from models.state import DAY_SECONDS, AccountState, apply_event, new_state, utc_day
from streams.backtest.history import scan
from streams.backtest.replay import replay

MODEL = load_model()
START = datetime(2025, 1, 1, tzinfo=UTC)


def _events(rng: random.Random) -> list[tuple[str, dict[str, object]]]:
    lines: list[tuple[str, dict[str, object]]] = []
    for n in range(3000):
        account = f"a{rng.randrange(3)}"
        at = START + timedelta(seconds=rng.randrange(260 * 86_400))
        # Some ids repeat (producers retry), some events arrive in another zone.
        event_id = f"e{rng.randrange(2500)}"
        if rng.random() < 0.3:
            at = at.astimezone(datetime.now().astimezone().tzinfo or UTC)
        base = {"event_id": event_id, "account_id": account, "occurred_at": at.isoformat()}
        kind = rng.random()
        if kind < 0.7:
            user = f"u{rng.randrange(12)}"
            lines.append(("logins", {**base, "user_id": user, "feature": f"f{rng.randrange(5)}"}))
        elif kind < 0.9:
            ticket = {"ticket_id": f"t{n // 7}", "status": rng.choice(["opened", "resolved"])}
            lines.append(("tickets", {**base, **ticket, "priority": "normal"}))
        else:
            answer = {"respondent_id": f"r{rng.randrange(6)}", "score": rng.randrange(11)}
            lines.append(("nps", {**base, **answer}))
    return lines


def _history(
    folder: Path, rng: random.Random, days: int, moments: int
) -> tuple[Path, list[Event], list[tuple[datetime, str, int]]]:
    """A random history file, its events in time order, and `moments` snapshots to take."""
    lines = _events(rng)
    path = folder / "h.jsonl"
    path.write_text("".join(json.dumps({"topic": t, "event": e}) + "\n" for t, e in lines))
    events = sorted(
        (TOPIC_EVENTS[t].model_validate(e) for t, e in lines), key=lambda e: e.occurred_at
    )
    schedule = sorted(
        (START + timedelta(seconds=rng.randrange(days * 86_400)), f"a{rng.randrange(3)}", key)
        for key in range(moments)
    )
    return path, events, schedule


def _reference(events: list[Event], account: str, moment: datetime) -> AccountState:
    state = new_state(account)
    for event in events:
        if event.account_id == account and event.occurred_at < moment:
            apply_event(state, event, MODEL, event.occurred_at)
    return state


def test_every_snapshot_equals_folding_each_earlier_event_at_its_own_time(tmp_path: Path) -> None:
    path, events, moments = _history(tmp_path, random.Random(11), days=270, moments=40)
    taken: dict[int, tuple[datetime, str, AccountState]] = {}

    def take(key: int, at: datetime, state: AccountState) -> None:
        taken[key] = (at, state.account_id, state.model_copy(deep=True))

    invalid, accounts = replay(path, scan(path), moments, MODEL, take)
    assert (invalid, accounts, len(taken)) == (0, 3, 40)
    for at, account, state in taken.values():
        expected = _reference(events, account, at)
        # pruned_day records when a state was last pruned, not what it holds.
        assert state.model_dump(exclude={"pruned_day"}) == expected.model_dump(
            exclude={"pruned_day"}
        )


def test_snapshots_rank_among_the_accounts_as_they_stood_that_midnight(tmp_path: Path) -> None:
    """The population a snapshot is ranked in holds every account's measures as of
    the start of the snapshot's day: nothing later, whatever the account."""
    path, events, moments = _history(tmp_path, random.Random(5), days=250, moments=25)
    population = Population()
    seen: dict[int, tuple[datetime, dict[str, list[int]]]] = {}

    def take(key: int, at: datetime, state: AccountState) -> None:
        seen[key] = (at, _counts(population))

    replay(path, scan(path), moments, MODEL, take, population=population)
    assert len(seen) == 25
    for at, counts in seen.values():
        midnight = datetime.fromtimestamp(utc_day(at) * DAY_SECONDS, UTC)
        expected = Population()
        for account in ("a0", "a1", "a2"):
            if any(e.account_id == account and e.occurred_at < midnight for e in events):
                state = _reference(events, account, midnight)
                expected.update(account, None, ranked_measures(state, midnight, MODEL))
        assert counts == _counts(expected)


def _counts(population: Population) -> dict[str, list[int]]:
    found = {}
    for factor in ("engagement.breadth", "engagement.activity", "engagement.recency"):
        sketch = population.sketch(None, factor)
        if sketch is not None and sketch.total:
            found[factor] = list(sketch.counts)
    return found
