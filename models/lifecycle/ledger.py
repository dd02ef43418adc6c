"""What an account's state keeps for its lifecycle, beyond the windows everything else lives in.

Two small records, both folded by idempotent, order-independent updates:

- outcomes: every outcome event (renewed, expanded, contracted, churned), one
  per contract and UTC day (the latest of that day: a correction replaces it),
  never pruned, so a churn and a return are remembered after the contract has
  left the windows, and a contract that brought an account back can churn
  again (capped by `limits.max_outcomes`, the oldest dropped first);
- login days: the UTC days on which anyone logged in, as 63-day bitmask words
  (`word = day // 63`, bit `day % 63`). They leave with the longest window,
  except the words a churn's resurrection window (`within_days` after it)
  overlaps, which stay as long as that churn is remembered: whether logins
  brought an account back keeps the same answer however late it is asked.
"""

from __future__ import annotations

from models.events import RenewalStatus
from models.state_records import NONE, RENEWAL_CODE, add_latest

# Outcome record, keyed "{UTC day}:{contract_id}": [time, status code, arr, new_arr or NONE].
O_AT, O_STATUS, O_ARR, O_NEW_ARR = 0, 1, 2, 3
CHURNED = RENEWAL_CODE[RenewalStatus.CHURNED]
_UPCOMING = RENEWAL_CODE[RenewalStatus.UPCOMING]

WORD_DAYS = 63
_DAY_SECONDS = 86_400


def add_outcome(
    outcomes: dict[str, list[float]],
    contract_id: str,
    at: int,
    status: int,
    arr: float,
    new_arr: float | None,
) -> bool:
    """Keep the contract's latest outcome of that day; an `upcoming` event is no outcome."""
    if status == _UPCOMING:
        return False
    record = [float(at), float(status), arr, new_arr if new_arr is not None else float(NONE)]
    return add_latest(outcomes, f"{at // _DAY_SECONDS}:{contract_id}", record)


def add_login_day(calendar: dict[int, int], day: int) -> bool:
    word, bit = divmod(day, WORD_DAYS)
    mask = calendar.get(word, 0)
    if mask >> bit & 1:
        return False
    calendar[word] = mask | 1 << bit
    return True


def nth_login_day(calendar: dict[int, int], first: int, last: int, n: int) -> int | None:
    """The `n`-th day from `first` to `last` (both included) with a login, or None."""
    if n <= 0 or last < first:
        return None
    seen = 0
    for word in range(first // WORD_DAYS, last // WORD_DAYS + 1):
        mask = calendar.get(word, 0)
        if not mask:
            continue
        start = word * WORD_DAYS
        low, high = max(first - start, 0), min(last - start, WORD_DAYS - 1)
        inside = mask >> low & ((1 << (high - low + 1)) - 1)
        count = inside.bit_count()
        if seen + count < n:
            seen += count
            continue
        for offset in range(high - low + 1):
            if inside >> offset & 1:
                seen += 1
                if seen == n:
                    return start + low + offset
    return None


def drop_stale_login_days(
    calendar: dict[int, int], outcomes: dict[str, list[float]], first_day: int, within_days: int
) -> None:
    """Delete the words wholly before `first_day`, but those a churn's window overlaps."""
    first_word = first_day // WORD_DAYS
    if not calendar or min(calendar) >= first_word:
        return
    kept: set[int] = set()
    for record in outcomes.values():
        if record[O_STATUS] == CHURNED:
            churn_day = int(record[O_AT]) // _DAY_SECONDS
            after, until = churn_day + 1, churn_day + within_days
            kept.update(range(after // WORD_DAYS, until // WORD_DAYS + 1))
    for word in [w for w in calendar if w < first_word and w not in kept]:
        del calendar[word]
