"""Packed per-account records and the idempotent updates that fold events into them.

Records are short lists of numbers so that an account's state stays small as
JSON and cheap to update. Every update is idempotent and order-independent
(minimum, maximum, set union, or "latest by a total order"), so duplicates and
out-of-order events converge to the same state; event-id dedupe only tells the
caller which events were duplicates.
"""

from __future__ import annotations

from typing import TypeVar

from models.events import RenewalStatus, Role, TicketPriority, TicketStatus

N = TypeVar("N", int, float)

NONE = -1
# Per user: [last active day, activity mask]; bit k = active on day (last day - k).
MASK_BITS = 63
MASK_ALL = (1 << MASK_BITS) - 1

PRIORITIES: tuple[TicketPriority, ...] = tuple(TicketPriority)
STATUSES: tuple[TicketStatus, ...] = tuple(TicketStatus)
ROLES: tuple[Role, ...] = tuple(Role)
RENEWAL_STATUSES: tuple[RenewalStatus, ...] = tuple(RenewalStatus)
PRIORITY_CODE = {p: i for i, p in enumerate(PRIORITIES)}
STATUS_CODE = {s: i for i, s in enumerate(STATUSES)}
ROLE_CODE = {r: i for i, r in enumerate(ROLES)}
RENEWAL_CODE = {s: i for i, s in enumerate(RENEWAL_STATUSES)}
OPEN_STATUSES = frozenset(
    STATUS_CODE[s]
    for s in (TicketStatus.OPENED, TicketStatus.FIRST_RESPONSE, TicketStatus.REOPENED)
)

# Ticket record: epoch seconds, or NONE when unknown.
T_PRIORITY = 0  # priority of the latest event
T_OPENED = 1  # earliest `opened`
T_FIRST_REPLY = 2  # earliest `first_response`
T_LAST = 3  # time of the latest event
T_STATUS = 4  # status of the latest event
T_REOPENED = 5  # 1 once any `reopened` arrived
T_RESOLVED = 6  # latest `resolved`
T_CSAT_AT = 7  # latest `resolved` that carried a CSAT answer, and the answer
T_CSAT = 8
T_EFFORT_AT = 9  # same for customer effort
T_EFFORT = 10

# NPS respondent record: [time, score 0-10] of the latest answer, then the respondent's
# role code as given by the latest answer that named one, and that answer's time.
R_AT, R_SCORE, R_ROLE, R_ROLE_AT = 0, 1, 2, 3

# A user's role: [role code, UTC day] of the latest login that named one.
U_ROLE, U_ROLE_DAY = 0, 1

# Contract record: [time, status code, renewal day, arr, new_arr or NONE] of the latest status;
# the time is when it was decided (the event's decided_on, else its occurred_at).
C_AT, C_STATUS, C_RENEWAL_DAY, C_ARR, C_NEW_ARR = 0, 1, 2, 3, 4


def add_login(users: dict[str, list[int]], user_id: str, day: int) -> bool:
    record = users.get(user_id)
    if record is None:
        users[user_id] = [day, 1]
        return True
    last, mask = record
    if day > last:
        shift = day - last
        record[0] = day
        record[1] = ((mask << shift) | 1) & MASK_ALL if shift < MASK_BITS else 1
        return True
    bit = 1 << (last - day) if last - day < MASK_BITS else 0
    if mask & bit:
        return False
    record[1] = mask | bit
    return bit != 0


# A feature the state knew before it kept first-use days (states stored earlier) counts
# as first used on day 0: long before any window.
KNOWN_BEFORE = 0


def add_feature_use(
    features: dict[str, int], since: dict[str, int], feature: str, day: int, cap: int
) -> bool:
    """Record a use of `feature` on `day`: its latest day, and its first one the state holds.

    Beyond `cap` features, the least recently used tenth are forgotten, first days included.
    """
    last = features.get(feature)
    first = since.get(feature)
    changed = False
    if first is None or day < first:
        since[feature] = day if last is None or first is not None else KNOWN_BEFORE
        changed = since[feature] != first
    if last is None or last < day:
        features[feature] = day
        changed = True
        if len(features) > cap:
            keep = max(1, cap * 9 // 10)
            recent = sorted(features.items(), key=lambda kv: (-kv[1], kv[0]))[:keep]
            features.clear()
            features.update(recent)
            forget_dropped(since, features)
    return changed


def forget_dropped(since: dict[str, int], features: dict[str, int]) -> None:
    """Drop the first days of the features the state no longer keeps."""
    for gone in since.keys() - features.keys():
        del since[gone]


def add_ticket_event(
    tickets: dict[str, list[int]],
    ticket_id: str,
    status: TicketStatus,
    priority: TicketPriority,
    at: int,
    csat: int | None,
    effort: int | None,
) -> bool:
    s, p = STATUS_CODE[status], PRIORITY_CODE[priority]
    record = tickets.get(ticket_id)
    if record is None:
        record = [p, NONE, NONE, NONE, NONE, 0, NONE, NONE, 0, NONE, 0]
        tickets[ticket_id] = record
    before = record.copy()
    if status is TicketStatus.OPENED:
        record[T_OPENED] = _earliest(record[T_OPENED], at)
    elif status is TicketStatus.FIRST_RESPONSE:
        record[T_FIRST_REPLY] = _earliest(record[T_FIRST_REPLY], at)
    elif status is TicketStatus.REOPENED:
        record[T_REOPENED] = 1
    else:
        record[T_RESOLVED] = max(record[T_RESOLVED], at)
        if csat is not None and (at, csat) > (record[T_CSAT_AT], record[T_CSAT]):
            record[T_CSAT_AT], record[T_CSAT] = at, csat
        if effort is not None and (at, effort) > (record[T_EFFORT_AT], record[T_EFFORT]):
            record[T_EFFORT_AT], record[T_EFFORT] = at, effort
    if (at, s, p) > (record[T_LAST], record[T_STATUS], record[T_PRIORITY]):
        record[T_LAST], record[T_STATUS], record[T_PRIORITY] = at, s, p
    return record != before


def add_answer(respondents: dict[str, list[int]], key: str, at: int, score: int, role: int) -> bool:
    """Keep the latest score per respondent and their latest known role.

    An answer without a role keeps the role the respondent gave before, so a
    detractor executive who answers again anonymously still counts as an executive.
    """
    record = respondents.get(key)
    if record is None:
        respondents[key] = [at, score, role, at if role != NONE else NONE]
        return True
    before = record.copy()
    if (at, score) > (record[R_AT], record[R_SCORE]):
        record[R_AT], record[R_SCORE] = at, score
    if role != NONE and (at, role) > (record[R_ROLE_AT], record[R_ROLE]):
        record[R_ROLE_AT], record[R_ROLE] = at, role
    return record != before


def add_user_role(roles: dict[str, list[int]], user_id: str, role: int, day: int) -> bool:
    """Keep the role the user's latest login named (on one day, the highest role code)."""
    record = roles.get(user_id)
    if record is not None and (record[U_ROLE_DAY], record[U_ROLE]) >= (day, role):
        return False
    roles[user_id] = [role, day]
    return True


def keep_roles_of_users(roles: dict[str, list[int]], users: dict[str, list[int]]) -> None:
    """Forget the roles of users the state no longer holds (pruned or trimmed)."""
    for user in [user for user in roles if user not in users]:
        del roles[user]


def add_latest(records: dict[str, list[N]], key: str, new: list[N]) -> bool:
    """Keep, per key, the record that sorts last: the latest contract event."""
    current = records.get(key)
    if current is not None and current >= new:
        return False
    records[key] = new
    return True


def trim_oldest(
    records: dict[str, list[N]],
    cap: int,
    time_index: int,
    keep: frozenset[str] = frozenset(),
) -> None:
    """Drop the least recently updated records once there are more than `cap`.

    Trims to 90 % of the cap so the sort runs once per many insertions.
    """
    if len(records) <= cap:
        return
    target = max(1, cap * 9 // 10)
    by_age = sorted(
        (key for key in records if key not in keep), key=lambda k: (records[k][time_index], k)
    )
    for key in by_age[: len(records) - target]:
        del records[key]


def _earliest(current: int, at: int) -> int:
    return at if current == NONE or at < current else current
