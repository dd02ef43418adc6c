"""`healthscore demo-history`: the demo company's past, as a history file, without Kafka.

The history format (read by `healthscore backtest`) is JSON Lines, one input
event per line, wrapped with the topic it was (or would have been) produced to:

    {"topic": "logins", "event": {"event_id": "...", "account_id": "...", ...}}

`topic` is one of logins, tickets, nps, renewals, accounts (without any
`HS_TOPIC_PREFIX`); `event` is exactly what a producer sends on that topic
(SPEC §2). Lines written here are in `occurred_at` order; the backtest sorts
anyway, so a history assembled from several exports need not be.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import orjson

from streams.demo.company import Company
from streams.demo.profiles import DEFAULT, PROFILES, Profile

TOPIC_ORDER = ("accounts", "renewals", "logins", "tickets", "nps")


@dataclass(slots=True)
class HistorySummary:
    first_day: date
    last_day: date
    events: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)


def default_last_day() -> date:
    """Yesterday (UTC): a history never reaches into the present."""
    return datetime.now(UTC).date() - timedelta(days=1)


def write_history(
    out: Path,
    accounts: int,
    days: int,
    last_day: date | None = None,
    seed: int = 7,
    progress: TextIO | None = None,
    profile: Profile = DEFAULT,
) -> HistorySummary:
    """Simulate `days` days of `accounts` accounts of a `profile` product ending `last_day`."""
    if accounts < 1 or days < 1:
        raise ValueError("accounts and days must be at least 1")
    last = last_day or default_last_day()
    first = last - timedelta(days=days - 1)
    company = Company(accounts, first, seed=seed, profile=profile)
    summary = HistorySummary(first_day=first, last_day=last)
    with out.open("wb") as sink:
        start = datetime.combine(first, time(0), UTC)
        _write(sink, [("accounts", p) for p in company.profiles(start)], summary)
        for offset in range(days):
            today = first + timedelta(days=offset)
            produced = company.day(today)
            lines = [(topic, event) for topic in TOPIC_ORDER for event in produced[topic]]
            # Stable sort: events of one instant keep the topic order above.
            lines.sort(key=lambda line: datetime.fromisoformat(line[1]["occurred_at"]))
            _write(sink, lines, summary)
            if progress is not None and (offset % 20 == 19 or offset == days - 1):
                total = sum(summary.events.values())
                print(
                    f"\rdemo-history: day {offset + 1}/{days}, {total} events",
                    end="",
                    file=progress,
                    flush=True,
                )
    if progress is not None:
        print(file=progress)
    return summary


def _write(
    sink: BinaryIO, lines: list[tuple[str, dict[str, Any]]], summary: HistorySummary
) -> None:
    for topic, event in lines:
        sink.write(orjson.dumps({"topic": topic, "event": event}, option=orjson.OPT_APPEND_NEWLINE))
        summary.events[topic] += 1
        if topic == "renewals" and event["status"] != "upcoming":
            summary.outcomes[str(event["status"])] += 1


def run_demo_history(
    accounts: int, days: int, out: str, seed: int, end: str | None, profile: str = DEFAULT.name
) -> int:
    last = date.fromisoformat(end) if end else None
    summary = write_history(
        Path(out), accounts, days, last, seed, progress=sys.stderr, profile=PROFILES[profile]
    )
    outcomes = ", ".join(f"{n} {status}" for status, n in sorted(summary.outcomes.items()))
    print(
        f"{out}: {sum(summary.events.values())} events of {accounts} accounts ({profile}), "
        f"{summary.first_day} to {summary.last_day}; renewal outcomes: {outcomes or 'none'}"
    )
    return 0
