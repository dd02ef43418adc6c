"""PostgreSQL failures: which to wait out, and which are the written record's own fault.

    Fault.TRANSIENT  retried with backoff, however long it takes: nothing is
                     committed meanwhile, so nothing is lost.
        OSError, TimeoutError, asyncpg.InterfaceError    the connection, the pool
        asyncpg.exceptions.InternalClientError           the protocol
        any SQLSTATE not below                           connection exceptions (08),
            serialization failure and deadlock (40001, 40P01), insufficient
            resources (53), operator intervention (57: admin shutdown, cannot
            connect now), system errors (58), lock timeouts (55P03), and the
            deployment's own (28 authorization, 3D missing database, 42 schema
            or privileges): none says anything about the record, and giving up
            on it would empty the whole stream into the dead-letter topic
    Fault.RECORD     the record cannot be written as it is, now or later:
        SQLSTATE class 22 data exception (a NUL byte in a text, an invalid
            number), 23 integrity constraint violation (CHECK, NOT NULL,
            UNIQUE), 54 program limit exceeded (an index row too large), 40002
        asyncpg.DataError (22000), and the InterfaceError-and-ValueError
            asyncpg's own encoders raise for a value they cannot send
        any other exception from building the rows (a bug the record trips)

Classified by asyncpg's exception classes and SQLSTATE, never by message text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from enum import StrEnum
from typing import TypeVar

import asyncpg

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 30.0

# SQLSTATE classes (first two characters) and codes that blame the record.
RECORD_CLASSES = frozenset({"22", "23", "54"})
RECORD_STATES = frozenset({"40002"})  # a deferred constraint failing at commit


class Fault(StrEnum):
    TRANSIENT = "transient"
    RECORD = "record"


def classify(exc: BaseException) -> Fault:
    """Whether waiting can fix `exc` (TRANSIENT) or the record written causes it (RECORD)."""
    if isinstance(exc, asyncpg.PostgresError):
        state = exc.sqlstate or ""
        if state[:2] in RECORD_CLASSES or state in RECORD_STATES:
            return Fault.RECORD
        return Fault.TRANSIENT
    if isinstance(exc, asyncpg.InterfaceError) and isinstance(exc, ValueError):
        return Fault.RECORD  # asyncpg could not encode a value of the row
    if isinstance(exc, OSError | asyncpg.InterfaceError | asyncpg.exceptions.InternalClientError):
        return Fault.TRANSIENT  # TimeoutError and ConnectionError are OSErrors
    return Fault.RECORD


def describe(exc: BaseException) -> str:
    """The error's class, SQLSTATE and message, for a log line or a dead letter's detail.

    PostgreSQL's message names the problem ("invalid byte sequence for
    encoding \"UTF8\": 0x00"); its DETAIL, which can quote the whole row, is
    left out.
    """
    state = getattr(exc, "sqlstate", None)
    code = f" {state}" if isinstance(state, str) else ""
    message = str(exc).split("\n", 1)[0]
    return f"{type(exc).__name__}{code}: {message}" if message else f"{type(exc).__name__}{code}"


def is_transient(exc: BaseException) -> bool:
    return classify(exc) is Fault.TRANSIENT


# Retry loops by hand rather than with tenacity or stamina: sinks/retry.py says why.
def retry_delays(
    first: float = RETRY_FIRST_SECONDS, longest: float = RETRY_MAX_SECONDS
) -> Iterator[float]:
    """Seconds to wait before each retry after a transient error: doubling, then `longest`."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, longest)


async def retry_transient(
    action: Callable[[], Awaitable[T]],
    doing: str,
    on_failure: Callable[[], object] = lambda: None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    transient: Callable[[BaseException], bool] = is_transient,
) -> T:
    """Run `action` until it succeeds, backing off up to RETRY_MAX_SECONDS while its
    failures are `transient`; any other failure is raised at once."""
    delay = RETRY_FIRST_SECONDS
    while True:
        try:
            return await action()
        except Exception as exc:
            if not transient(exc):
                raise
            on_failure()
            log.warning("%s failed (%s); retrying in %.1f s", doing, describe(exc), delay)
            await sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)


async def write_isolating(
    rows: Sequence[R],
    write: Callable[[Sequence[R]], Awaitable[None]],
    retry: Callable[[Callable[[], Awaitable[None]]], Awaitable[None]],
) -> list[tuple[R, Exception]]:
    """Write `rows` with `write` (one transaction per call), each attempt through `retry`;
    return the rows refused as RECORD faults, with their errors, all others written.

    A refused batch is split in halves and each half written again, down to
    single rows: k bad rows among n cost about 2·k·log2(n) extra writes.
    `write` must be idempotent, as halves are written after a failed whole.
    """
    if not rows:
        return []
    try:
        await retry(lambda: write(rows))
        return []
    except Exception as exc:
        if classify(exc) is not Fault.RECORD:
            raise
        if len(rows) == 1:
            return [(rows[0], exc)]
    middle = len(rows) // 2
    first = await write_isolating(rows[:middle], write, retry)
    return first + await write_isolating(rows[middle:], write, retry)
