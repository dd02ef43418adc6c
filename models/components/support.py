"""Support: how much open trouble the account has and how well it is being served.

Factors (each mapped to 0-100 by its curve in the model file):

- open_tickets: backlog points = Σ over open tickets (latest status opened,
  first_response or reopened) of priority_points[priority] *
  age_multiplier(hours open); a ticket is open since `opened` (since the
  reopen for a reopened one). More or older open tickets never score higher.
- first_reply: median hours from `opened` to the first `first_response`, over
  tickets opened in the support window (90 d) that have both; left out when none.
- reopen_rate: share of tickets resolved in the support window that were ever
  reopened; left out when none was resolved.
- csat: CSAT = share of answers that are 4 or 5, latest answer per ticket,
  over tickets resolved in the support window; left out without answers.
- effort: mean customer effort score (1-7, higher = easier), same tickets.

The component has data once the state holds any ticket.
"""

from __future__ import annotations

from statistics import median

from models.components.base import Context, Signal, duration, percent, plural
from models.events import TicketStatus
from models.model_parts import ComponentName
from models.state import AccountState
from models.state_records import (
    NONE,
    OPEN_STATUSES,
    PRIORITIES,
    STATUS_CODE,
    T_CSAT,
    T_CSAT_AT,
    T_EFFORT,
    T_EFFORT_AT,
    T_FIRST_REPLY,
    T_LAST,
    T_OPENED,
    T_PRIORITY,
    T_REOPENED,
    T_RESOLVED,
    T_STATUS,
)

SUPPORT = ComponentName.SUPPORT
_REOPENED = STATUS_CODE[TicketStatus.REOPENED]


def support_signals(state: AccountState, ctx: Context) -> list[Signal]:
    if not state.tickets:
        return []
    config = ctx.model.components.support
    factors = config.factors
    window = ctx.model.windows.support
    start = ctx.window_start(window)
    points = 0.0
    open_by_priority = [0] * len(PRIORITIES)
    oldest_by_priority = [0.0] * len(PRIORITIES)
    reply_hours: list[float] = []
    resolved = reopened = csat_answers = csat_good = effort_answers = effort_sum = 0
    for record in state.tickets.values():
        if record[T_STATUS] in OPEN_STATUSES:
            since = record[T_OPENED]
            if since == NONE or record[T_STATUS] == _REOPENED:
                since = record[T_LAST]
            hours = max(0, ctx.now - since) / 3600
            priority = record[T_PRIORITY]
            points += config.priority_points[PRIORITIES[priority]] * config.age_multiplier.at(hours)
            open_by_priority[priority] += 1
            oldest_by_priority[priority] = max(oldest_by_priority[priority], hours)
        if record[T_OPENED] >= start and record[T_FIRST_REPLY] != NONE:
            reply_hours.append(max(0, record[T_FIRST_REPLY] - record[T_OPENED]) / 3600)
        if record[T_RESOLVED] >= start:
            resolved += 1
            reopened += record[T_REOPENED]
        if record[T_CSAT_AT] >= start:
            csat_answers += 1
            csat_good += record[T_CSAT] >= 4
        if record[T_EFFORT_AT] >= start:
            effort_answers += 1
            effort_sum += record[T_EFFORT]

    signals = [
        ctx.signal(
            SUPPORT,
            "open_tickets",
            factors.open_tickets,
            points,
            _backlog_text,
            (open_by_priority, oldest_by_priority),
        )
    ]
    if reply_hours:
        typical = median(reply_hours)
        signals.append(
            ctx.signal(
                SUPPORT,
                "first_reply",
                factors.first_reply,
                typical,
                _first_reply_text,
                (typical, len(reply_hours), window),
            )
        )
    if resolved:
        rate = reopened / resolved
        signals.append(
            ctx.signal(
                SUPPORT,
                "reopen_rate",
                factors.reopen_rate,
                rate,
                _reopen_text,
                (reopened, resolved),
            )
        )
    if csat_answers:
        share = csat_good / csat_answers
        signals.append(
            ctx.signal(
                SUPPORT,
                "csat",
                factors.csat,
                share,
                _csat_text,
                (csat_good, csat_answers, window),
            )
        )
    if effort_answers:
        mean = effort_sum / effort_answers
        signals.append(
            ctx.signal(
                SUPPORT,
                "effort",
                factors.effort,
                mean,
                _effort_text,
                (mean, effort_answers),
            )
        )
    return signals


def _first_reply_text(typical: float, tickets: int, window: int) -> str:
    return (
        f"Median first reply {duration(typical)} over {plural(tickets, 'ticket')} in {window} days"
    )


def _reopen_text(reopened: int, resolved: int) -> str:
    rate = reopened / resolved
    return f"{reopened} of {plural(resolved, 'resolved ticket')} reopened ({percent(rate)})"


def _csat_text(good: int, answers: int, window: int) -> str:
    share = good / answers
    return (
        f"CSAT {percent(share)}: {good} of {plural(answers, 'answer')} rated 4-5 in {window} days"
    )


def _effort_text(mean: float, answers: int) -> str:
    return f"Customer effort {mean:.1f} of 7 (higher = easier) from {plural(answers, 'answer')}"


def _backlog_text(open_by_priority: list[int], oldest_by_priority: list[float]) -> str:
    total = sum(open_by_priority)
    if total == 0:
        return "No open support tickets"
    top = max(i for i, count in enumerate(open_by_priority) if count)
    count = open_by_priority[top]
    text = (
        f"{count} {PRIORITIES[top].value} {'ticket' if count == 1 else 'tickets'} open, "
        f"the oldest for {duration(oldest_by_priority[top])}"
    )
    others = total - count
    return text + (f" (+{others} of lower priority)" if others else "")
