"""What every component shares: the evaluation context, signals and wording helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from models.model_config import HealthModel
from models.model_parts import ComponentName

DAY_SECONDS = 86_400


@dataclass(slots=True)  # not frozen, like Signal: built for every score, never changed
class Context:
    """One evaluation: the model and `now` as epoch seconds and as a UTC day number."""

    model: HealthModel
    now: int
    today: int

    def window_start(self, days: int) -> int:
        """Epoch second at which a window of `days` UTC days ending today begins."""
        return (self.today - days + 1) * DAY_SECONDS


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

    @property
    def text(self) -> str:
        return self.describe(*self.facts)

    @property
    def driver_code(self) -> str:
        return self.code or self.component + "." + self.factor


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


def role_phrase(role: str | None) -> str:
    """'a business executive', 'an IT leader', 'a respondent' (no role given)."""
    if role is None:
        return "a respondent"
    words = role.replace("_", " ").replace("it ", "IT ")
    article = "an" if words[0] in "aeiouAEIOU" else "a"
    return f"{article} {words}"
