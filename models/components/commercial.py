"""Commercial: where the contract stands.

Factors (each mapped to 0-100 by its curve in the model file):

- renewal: days from today to the nearest pending renewal date — of contracts
  whose latest event is `upcoming`, or the profile's renewal_date unless a
  contract outcome already covers that date; negative when overdue, so the
  value keeps falling with `now` while a renewal stays open.
- arr_change: ARR after outcomes / ARR before, over contracts whose latest
  event is renewed, expanded, contracted or churned: after = new_arr (arr
  when absent) and 0 for a churned contract.

If every known contract's latest event is `churned`, the component is 0.
The component has data once a contract event or a profile renewal_date is known.
"""

from __future__ import annotations

from models.components.base import Context, Signal, money, percent
from models.events import RenewalStatus
from models.model_parts import ComponentName
from models.state import AccountState, date_day
from models.state_records import C_ARR, C_NEW_ARR, C_RENEWAL_DAY, C_STATUS, RENEWAL_CODE

COMMERCIAL = ComponentName.COMMERCIAL
_UPCOMING = RENEWAL_CODE[RenewalStatus.UPCOMING]
_CHURNED = RENEWAL_CODE[RenewalStatus.CHURNED]


def commercial_signals(state: AccountState, ctx: Context) -> list[Signal]:
    factors = ctx.model.components.commercial.factors
    contracts = list(state.contracts.values())
    profile_day = profile_renewal_day(state)
    if not contracts and profile_day is None:
        return []
    if contracts and all(c[C_STATUS] == _CHURNED for c in contracts):
        lost = sum(c[C_ARR] for c in contracts)
        return [Signal(COMMERCIAL, "arr_change", 0.0, _churned_text, (lost,), "commercial.churned")]
    signals: list[Signal] = []
    renewal_day = next_renewal_day(contracts, profile_day)
    if renewal_day is not None:
        days = renewal_day - ctx.today
        signals.append(
            ctx.signal(COMMERCIAL, "renewal", factors.renewal, days, _renewal_text, (days,))
        )
    before = after = 0.0
    for c in contracts:
        if c[C_STATUS] == _UPCOMING:
            continue
        before += c[C_ARR]
        if c[C_STATUS] != _CHURNED:
            after += c[C_NEW_ARR] if c[C_NEW_ARR] >= 0 else c[C_ARR]
    if before > 0:
        ratio = after / before
        signals.append(
            ctx.signal(
                COMMERCIAL,
                "arr_change",
                factors.arr_change,
                ratio,
                _arr_text,
                (before, after),
            )
        )
    return signals


def profile_renewal_day(state: AccountState) -> int | None:
    """The UTC day of the profile's renewal_date (None without one)."""
    profile = state.profile
    if profile is None or profile.renewal_date is None:
        return None
    return date_day(profile.renewal_date)


def next_renewal_day(contracts: list[list[float]], profile_day: int | None) -> int | None:
    """The nearest pending renewal day: of the contracts whose latest event is `upcoming`,
    or the profile's unless a contract outcome already covers that day."""
    pending = [int(c[C_RENEWAL_DAY]) for c in contracts if c[C_STATUS] == _UPCOMING]
    settled = [int(c[C_RENEWAL_DAY]) for c in contracts if c[C_STATUS] != _UPCOMING]
    if profile_day is not None and not any(day >= profile_day for day in settled):
        pending.append(profile_day)
    return min(pending) if pending else None


def _churned_text(lost: float) -> str:
    return f"Churned: {money(lost)} ARR lost"


def _renewal_text(days: int) -> str:
    if days < 0:
        return f"Renewal overdue by {-days} days"
    return "Renewal due today" if days == 0 else f"Renewal in {days} days"


def _arr_text(before: float, after: float) -> str:
    if after == before:
        return f"Renewed at flat ARR ({money(before)})"
    direction = "Expanded" if after > before else "Contracted"
    change = abs(after - before) / before
    return f"{direction}: ARR {money(before)} → {money(after)} ({percent(change)})"
