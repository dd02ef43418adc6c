"""Which PostgreSQL errors pass with time, and which are about the data.

Transient (worth retrying the same statement later):

    OSError, TimeoutError            the network, or a server not answering
    asyncpg.InterfaceError           a closed or broken connection, a closing pool
                                     (but not its ValueError kinds: a query argument
                                     that cannot be encoded is the data's fault)
    SQLSTATE class 08                connection exception
    SQLSTATE class 40                transaction rollback: serialization failure, deadlock
    SQLSTATE class 53                insufficient resources: too many connections, disk full
    SQLSTATE 57P..                   operator intervention: shutdown, crash, cannot connect now

Everything else (constraint violations, invalid text such as a NUL byte, a
value out of range, a bug in a statement) fails again however often it is
retried: the caller sets that record aside instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg

TRANSIENT_SQLSTATE_CLASSES = frozenset({"08", "40", "53"})
TRANSIENT_SQLSTATE_PREFIXES = ("57P",)


def is_transient(exc: BaseException) -> bool:
    """Whether retrying after `exc` can succeed without changing what is written."""
    if isinstance(exc, asyncpg.PostgresError):
        sqlstate = str(getattr(exc, "sqlstate", "") or "")
        return sqlstate[:2] in TRANSIENT_SQLSTATE_CLASSES or sqlstate.startswith(
            TRANSIENT_SQLSTATE_PREFIXES
        )
    if isinstance(exc, asyncpg.InterfaceError):
        return not isinstance(exc, ValueError)
    return isinstance(exc, OSError | TimeoutError)


def retry_delays(first: float = 0.5, longest: float = 30.0) -> Iterator[float]:
    """Seconds to wait before each retry after a transient error: doubling, then `longest`."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, longest)
