"""Per-account rolling state, folded from events in any order.

Everything is keyed by event time (`occurred_at`), never arrival time, so late
and out-of-order events land where they belong. The state is bounded: entries
leave when their UTC day drops out of the longest window (pruned on apply,
using `now`), and every collection has a cap (`limits` in the model file)
beyond which the least recently active entries are dropped. The lifecycle's
ledger (contract outcomes, and the login days a churn needs) outlives the
windows, within its own cap (models.lifecycle.ledger). Below the caps the
state is exactly the same whatever order the events arrived in.

Pydantic models are only used at the edges (`model_dump(mode="json")` /
`model_validate` for the Faust table); `apply_event` touches plain dicts,
lists and ints.
"""

from __future__ import annotations

import binascii
import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timezone, tzinfo
from operator import itemgetter
from typing import Any

from pydantic import BaseModel, Field
from pydantic_core import TzInfo

from models.event_records import (
    Foldable,
    LoginRecord,
    NpsRecord,
    RenewalRecord,
    TicketRecord,
)
from models.events import (
    AccountProfile,
    Event,
    LoginEvent,
    NpsEvent,
    RenewalEvent,
    TicketEvent,
)
from models.lifecycle.ledger import O_AT, add_login_day, add_outcome, drop_stale_login_days
from models.model_config import HealthModel, Limits
from models.state_records import (
    C_AT,
    C_RENEWAL_DAY,
    NONE,
    R_AT,
    RENEWAL_CODE,
    ROLE_CODE,
    T_LAST,
    add_answer,
    add_feature_use,
    add_latest,
    add_login,
    add_ticket_event,
    add_user_role,
    forget_dropped,
    keep_roles_of_users,
    trim_oldest,
)

DAY_SECONDS = 86_400
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.toordinal()


class AccountState(BaseModel):
    account_id: str
    profile: AccountProfile | None = None
    last_event_at: datetime | None = None
    # Latest login by anyone (epoch s); never pruned, so silence keeps decaying.
    last_login: int | None = None
    # user_id -> [last active UTC day, bitmask of active days counted back from it]
    users: dict[str, list[int]] = Field(default_factory=dict)
    # user_id -> [role code, UTC day] of the latest login that named the user's role;
    # only users in `users` (states stored before it have none).
    user_roles: dict[str, list[int]] = Field(default_factory=dict)
    # feature -> last UTC day it was used
    features: dict[str, int] = Field(default_factory=dict)
    # feature -> first UTC day it was used, as long as the state keeps the feature
    # (state_records.KNOWN_BEFORE for features known before these were kept).
    features_since: dict[str, int] = Field(default_factory=dict)
    # ticket_id -> packed ticket record (see state_records)
    tickets: dict[str, list[int]] = Field(default_factory=dict)
    # respondent_id -> [answered at, score, role code, role given at]
    respondents: dict[str, list[int]] = Field(default_factory=dict)
    # contract_id -> [decided at, status code, renewal day, arr, new_arr]
    contracts: dict[str, list[float]] = Field(default_factory=dict)
    # For the lifecycle (models.lifecycle.ledger), kept beyond the windows:
    # "{UTC day}:{contract_id}" -> [at, status code, arr, new_arr] of an outcome, and
    # UTC days with a login as 63-day bitmask words. States stored before have neither.
    outcomes: dict[str, list[float]] = Field(default_factory=dict)
    login_days: dict[int, int] = Field(default_factory=dict)
    # UTC day of occurred_at -> short hashes of the event ids seen that day
    seen: dict[int, set[str]] = Field(default_factory=dict)
    # The UTC day the state was last pruned for.
    pruned_day: int = 0
    # How many login, ticket, NPS and renewal events this state has accepted (a
    # duplicate is not): folding the same events again, as a replay does, leaves
    # it where it was, in whatever order they come. Profile upserts are left out:
    # an older one arriving after a newer one is ignored, so counting them would
    # depend on the order. States stored before it existed count from 0.
    state_version: int = 0


def new_state(account_id: str) -> AccountState:
    return AccountState(account_id=account_id)


def utc_day(moment: datetime) -> int:
    """Days since 1970-01-01 of the UTC date of `moment`."""
    return _epoch_seconds(moment) // DAY_SECONDS


def date_day(value: date) -> int:
    """Days since 1970-01-01 of a calendar date."""
    return value.toordinal() - _EPOCH_ORDINAL


def apply_event(state: AccountState, event: Event, model: HealthModel, now: datetime) -> bool:
    """Fold one event into the state, pruning what `now` has pushed out of the windows.

    Returns False, changing nothing, for a duplicate `event_id` and for a
    login/ticket/NPS/renewal event already older than the longest window.
    Ids are remembered per UTC day up to `limits.event_ids_per_day`; past that
    (and for profiles, which never expire) a repeat is still recognised
    because applying it again changes nothing.
    """
    return apply_events(state, (event,), model, now)[0] == 1


def apply_events(
    state: AccountState, events: Sequence[Foldable], model: HealthModel, now: datetime
) -> tuple[int, datetime | None]:
    """Fold events in order, exactly as `apply_event` one at a time would.

    Returns how many changed the state, and the latest `occurred_at` among
    those. A message's events share a type and usually a zone, so what
    depends only on those is looked up once per run of them, not per event.
    """
    if not events:
        return 0, None
    today = _today(now)
    if today > state.pruned_day:
        prune(state, model, today)
    first_day = today - model.longest_window_days
    limits = model.limits
    ids_per_day = limits.event_ids_per_day
    seen = state.seen
    accepted = profiles = 0
    newest: datetime | None = None
    kind: type | None = None
    fold: Fold | None = None
    for event in events:
        occurred_at = event.occurred_at
        if type(event) is not kind:
            kind = type(event)
            fold = None if issubclass(kind, AccountProfile) else _fold_of(kind)
        if fold is None:
            if _apply_profile(state, event):  # type: ignore[arg-type]
                accepted += 1
                profiles += 1
                if newest is None or occurred_at > newest:
                    newest = occurred_at
            continue
        at = _epoch_seconds(occurred_at)
        day = at // DAY_SECONDS
        if day < first_day:
            continue
        digest = _short_hash(event.event_id)
        ids = seen.get(day)
        if ids is not None and digest in ids:
            continue
        remembered = (len(ids) if ids is not None else 0) < ids_per_day
        if remembered:
            if ids is None:
                ids = seen[day] = set()
            ids.add(digest)
        if fold(state, event, limits, at, day) or remembered:
            accepted += 1
            if newest is None or occurred_at > newest:
                newest = occurred_at
    if newest is not None:
        _advance_last_event(state, newest)
    if accepted > profiles:
        state.state_version += accepted - profiles
    return accepted, newest


# The last `now` apply_events saw, and its UTC day: callers fold a whole batch at
# one `now`, so the day is worked out once per batch rather than once per event.
_last_today: tuple[datetime | None, int] = (None, 0)


def _today(now: datetime) -> int:
    global _last_today
    moment, day = _last_today
    if moment is not now:
        day = utc_day(now)
        _last_today = (now, day)
    return day


# The epoch in the zone of the last event seen. pydantic parses every offset into
# a fixed-offset TzInfo, shared by the events that carry it; within one fixed
# zone a difference needs no utcoffset() calls, which make timestamp() slow.
_FIXED_ZONES = (TzInfo, timezone)
_epoch_in_zone: tuple[tzinfo | None, datetime] = (None, _EPOCH)


def _epoch_seconds(moment: datetime) -> int:
    """int(moment.timestamp()), exactly."""
    zone = moment.tzinfo
    if not isinstance(zone, _FIXED_ZONES):
        return int(moment.timestamp())
    return int((moment - _epoch_in(zone)).total_seconds())


def _epoch_in(zone: tzinfo) -> datetime:
    """The epoch as a datetime in the fixed `zone`, kept for the zone seen last."""
    global _epoch_in_zone
    last, epoch = _epoch_in_zone
    if zone is not last:
        epoch = _EPOCH.astimezone(zone)
        _epoch_in_zone = (zone, epoch)
    return epoch


def prune(state: AccountState, model: HealthModel, today: int) -> None:
    """Forget everything whose day has left the longest window ending `today`.

    One extra day is kept so that every event younger than the longest window
    (which upstream validation accepts) still has a place in the state.
    """
    first_day = today - model.longest_window_days
    first_second = first_day * DAY_SECONDS
    # An account prunes once per active day and usually finds little to drop: a
    # C-level min() tells whether anything must go, and the few that must are
    # deleted in place rather than every dict being rebuilt.
    seen = state.seen
    if seen:
        for day in range(min(seen), first_day):
            seen.pop(day, None)
    _drop(state.users, _FIRST, first_day)
    keep_roles_of_users(state.user_roles, state.users)
    _drop(state.features, None, first_day)
    forget_dropped(state.features_since, state.features)
    _drop(state.tickets, _TICKET_LAST, first_second)
    _drop(state.respondents, _ANSWERED_AT, first_second)
    drop_stale_login_days(
        state.login_days, state.outcomes, first_day, model.lifecycle.resurrection.within_days
    )
    if state.contracts:
        state.contracts = {
            k: r
            for k, r in state.contracts.items()
            if r[C_AT] >= first_second or r[C_RENEWAL_DAY] >= today
        }
    state.pruned_day = today


_FIRST = itemgetter(0)
_TICKET_LAST = itemgetter(T_LAST)
_ANSWERED_AT = itemgetter(R_AT)


def _drop(records: dict[str, Any], time_of: Callable[[Any], int] | None, first: int) -> None:
    """Delete the records whose time (`time_of(record)`, or the record itself) is before `first`."""
    times = records.values() if time_of is None else map(time_of, records.values())
    if not records or min(times) >= first:
        return
    stale = [
        key
        for key, record in records.items()
        if (record if time_of is None else time_of(record)) < first
    ]
    for key in stale:
        del records[key]


def _apply_login(
    state: AccountState, event: LoginEvent | LoginRecord, limits: Limits, at: int, day: int
) -> bool:
    changed = add_login(state.users, event.user_id, day)
    changed = add_login_day(state.login_days, day) or changed
    role = event.role
    if role is not None:
        changed = add_user_role(state.user_roles, event.user_id, ROLE_CODE[role], day) or changed
    if changed and len(state.users) > limits.max_users:
        trim_oldest(state.users, limits.max_users, 0, _key_people(state))
        keep_roles_of_users(state.user_roles, state.users)
    feature = event.feature
    if feature is not None and add_feature_use(
        state.features, state.features_since, feature, day, limits.max_features
    ):
        changed = True
    if state.last_login is None or at > state.last_login:
        state.last_login = at
        changed = True
    return changed


def _apply_ticket(
    state: AccountState, event: TicketEvent | TicketRecord, limits: Limits, at: int, day: int
) -> bool:
    changed = add_ticket_event(
        state.tickets,
        event.ticket_id,
        event.status,
        event.priority,
        at,
        event.csat,
        event.effort,
    )
    trim_oldest(state.tickets, limits.max_tickets, T_LAST)
    return changed


def _apply_nps(
    state: AccountState, event: NpsEvent | NpsRecord, limits: Limits, at: int, day: int
) -> bool:
    role = ROLE_CODE[event.role] if event.role is not None else NONE
    changed = add_answer(state.respondents, event.respondent_id, at, event.score, role)
    trim_oldest(state.respondents, limits.max_respondents, R_AT)
    return changed


def _apply_renewal(
    state: AccountState, event: RenewalEvent | RenewalRecord, limits: Limits, at: int, day: int
) -> bool:
    renewal_day = date_day(event.renewal_date)
    new_arr = event.new_arr if event.new_arr is not None else float(NONE)
    # A status decided before the event reports it (an imported history) dates from then.
    decided = event.decided_on
    if decided is not None and date_day(decided) < day:
        at = date_day(decided) * DAY_SECONDS
    record = [float(at), float(RENEWAL_CODE[event.status]), renewal_day, event.arr, new_arr]
    changed = add_latest(state.contracts, event.contract_id, record)
    trim_oldest(state.contracts, limits.max_contracts, C_AT)
    status = RENEWAL_CODE[event.status]
    if add_outcome(state.outcomes, event.contract_id, at, status, event.arr, event.new_arr):
        changed = True
        trim_oldest(state.outcomes, limits.max_outcomes, O_AT)
    return changed


Fold = Callable[[AccountState, Any, Limits, int, int], bool]
_FOLDS: dict[type, Fold] = {
    LoginEvent: _apply_login,
    TicketEvent: _apply_ticket,
    NpsEvent: _apply_nps,
    RenewalEvent: _apply_renewal,
    LoginRecord: _apply_login,
    TicketRecord: _apply_ticket,
    NpsRecord: _apply_nps,
    RenewalRecord: _apply_renewal,
}


def _fold_of(kind: type) -> Fold:
    for base in kind.__mro__:
        if base in _FOLDS:
            return _FOLDS[base]
    raise TypeError(f"not an input event: {kind.__name__}")


def _apply_profile(state: AccountState, event: AccountProfile) -> bool:
    current = state.profile
    if current is not None and (current.occurred_at, current.event_id) >= (
        event.occurred_at,
        event.event_id,
    ):
        return False
    state.profile = event
    _advance_last_event(state, event.occurred_at)
    return True


# UTC as pydantic parses it ("Z", "+00:00") and reads it back from the table.
# Most events carry this very tzinfo object, and datetimes sharing one compare
# field by field, several times faster than across zones; it serialises the same.
_PARSED_UTC = TzInfo(0)


def _advance_last_event(state: AccountState, occurred_at: datetime) -> None:
    last = state.last_event_at
    if last is None or occurred_at > last:
        state.last_event_at = occurred_at.astimezone(_PARSED_UTC)


def _key_people(state: AccountState) -> frozenset[str]:
    profile = state.profile
    if profile is None:
        return frozenset()
    return frozenset(u for u in (profile.champion_user_id, profile.sponsor_user_id) if u)


# Copying a fresh hasher costs half of constructing one.
_BLAKE2B_48 = hashlib.blake2b(digest_size=6)


def _short_hash(event_id: str) -> str:
    # 48 bits in 8 characters: a false "duplicate" among the <= 23k ids an account can
    # hold has odds below 1e-6, and the idempotent updates make even that harmless.
    hasher = _BLAKE2B_48.copy()
    hasher.update(event_id.encode())
    return binascii.b2a_base64(hasher.digest(), newline=False).decode()
