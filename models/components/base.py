"""What every component shares: the evaluation context, signals and wording helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from models.activity import UserActivity, user_activity
from models.model_config import HealthModel
from models.model_parts import ComponentName, Factor
from models.population import Population, Standing
from models.state import AccountState

DAY_SECONDS = 86_400


@dataclass(slots=True)  # not frozen, like Signal: built for every score, never changed
class Context:
    """One evaluation of one account: the model and `now` as epoch seconds and as a UTC
    day number, and the population (with the account's segment) that percentile curves
    rank in."""

    model: HealthModel
    now: int
    today: int
    population: Population | None = None
    segment: str | None = None
    # The account's user activity, counted once by the first reader (`activity`).
    counted: UserActivity | None = None

    def activity(self, state: AccountState) -> UserActivity:
        """The user activity of `state` in the model's windows ending today."""
        counted = self.counted
        if counted is None:
            windows = self.model.windows
            counted = self.counted = user_activity(
                state, self.today, windows.recent, windows.baseline, self.model.growth.window_days
            )
        return counted

    def window_start(self, days: int) -> int:
        """Epoch second at which a window of `days` UTC days ending today begins."""
        return (self.today - days + 1) * DAY_SECONDS

    def signal(
        self,
        component: ComponentName,
        name: str,
        factor: Factor,
        measure: float,
        describe: Callable[..., str],
        facts: tuple[Any, ...] = (),
    ) -> Signal:
        """The factor's signal for `measure`: ranked in the population when the
        factor has a percentile curve and enough accounts have it, else on its curve."""
        ranked = factor.percentile_curve
        if ranked is not None and self.population is not None:
            standing = self.population.standing(
                self.segment, component + "." + name, measure, self.model.population.min_accounts
            )
            if standing is not None:
                value = ranked.at(standing.rank)
                return Signal(component, name, value, describe, facts, "", measure, standing)
        return Signal(component, name, factor.curve.at(measure), describe, facts, "", measure)


# Not frozen: a frozen dataclass sets each field through object.__setattr__,
# which makes building the dozen signals of every score cost 4 times as much.
# Signals are never changed once built.
@dataclass(slots=True)
class Signal:
    """One factor's value, and how to word it.

    Only the few signals kept as drivers are ever put into words, so the
    sentence is built on demand: `text` is `describe(*facts)`.
    """

    component: ComponentName
    factor: str
    value: float
    describe: Callable[..., str]
    facts: tuple[Any, ...] = ()
    # Machine code for the driver; defaults to "component.factor".
    code: str = ""
    # What the factor measured (the curve's x), and where that ranks among the
    # population when the factor was scored against it.
    measure: float | None = None
    standing: Standing | None = None

    @property
    def text(self) -> str:
        text = self.describe(*self.facts)
        standing = self.standing
        if standing is None:
            return text
        median = MEDIAN_PHRASES.get(self.component + "." + self.factor, _plain)
        return f"{text}; {standing.among} {median(standing.median)}"

    @property
    def driver_code(self) -> str:
        return self.code or self.component + "." + self.factor


def _plain(median: float) -> str:
    return f"is at {median:.3g}"


def _median_hours(median: float) -> str:
    return f"waits {duration(median)}"


# How a ranked factor's population median reads after "the median account in its segment".
MEDIAN_PHRASES: dict[str, Callable[[float], str]] = {
    "engagement.breadth": lambda m: f"uses {m:.0f}",
    "engagement.stickiness": lambda m: f"has {percent(m)}",
    "engagement.recency": lambda m: f"last logged in {days_ago(round(m))}",
    "engagement.activity": lambda m: f"has {m:.0f}",
    "engagement.active_users": lambda m: f"has {m:.0f}",
    "engagement.trend": lambda m: f"is at {percent(m)} of its baseline",
    "support.first_reply": _median_hours,
    "support.open_tickets": lambda m: f"has {m:.0f} points",
    "support.reopen_rate": lambda m: f"has {percent(m)}",
}


def plural(count: int | float, noun: str) -> str:
    shown = f"{count:g}" if isinstance(count, float) else str(count)
    return f"{shown} {noun}" if count == 1 else f"{shown} {noun}s"


def days_ago(days: int) -> str:
    if days <= 0:
        return "today"
    return "yesterday" if days == 1 else f"{days} days ago"


def duration(hours: float) -> str:
    if hours < 72:
        return f"{hours:.0f} h"
    return f"{hours / 24:.0f} days"


def percent(share: float) -> str:
    return f"{100 * share:.0f}%"


def money(amount: float) -> str:
    return f"{amount:,.0f}"


def role_words(role: str) -> str:
    """'business executive', 'IT leader'."""
    return role.replace("_", " ").replace("it ", "IT ")


def role_phrase(role: str | None) -> str:
    """'a business executive', 'an IT leader', 'a respondent' (no role given)."""
    if role is None:
        return "a respondent"
    words = role_words(role)
    article = "an" if words[0] in "aeiouAEIOU" else "a"
    return f"{article} {words}"
