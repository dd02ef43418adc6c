"""Which PostgreSQL failures are waited out and which blame the record; bisecting a batch."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import asyncpg
import asyncpg.exceptions as pg
import pytest

from sinks.postgres_faults import (
    RETRY_MAX_SECONDS,
    Fault,
    classify,
    describe,
    retry_delays,
    retry_transient,
    write_isolating,
)

TRANSIENT = [
    OSError("connect call failed"),
    ConnectionRefusedError(111, "refused"),
    ConnectionResetError(104, "reset by peer"),
    TimeoutError(),
    asyncpg.InterfaceError("pool is closing"),
    pg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    pg.PostgresConnectionError("connection failure"),
    pg.ConnectionFailureError("connection failure"),
    pg.CannotConnectNowError("the database system is starting up"),
    pg.TooManyConnectionsError("sorry, too many clients already"),
    pg.AdminShutdownError("terminating connection due to administrator command"),
    pg.QueryCanceledError("canceling statement due to statement timeout"),
    pg.SerializationError("could not serialize access"),
    pg.DeadlockDetectedError("deadlock detected"),
    pg.LockNotAvailableError("could not obtain lock"),
    pg.DiskFullError("could not extend file"),
    pg.InvalidPasswordError("password authentication failed"),
    pg.UndefinedTableError('relation "score_history" does not exist'),
    pg.InsufficientPrivilegeError("permission denied for table score_history"),
]

RECORD = [
    pg.CharacterNotInRepertoireError('invalid byte sequence for encoding "UTF8": 0x00'),
    pg.UntranslatableCharacterError("unsupported Unicode escape sequence"),
    pg.NumericValueOutOfRangeError("value out of range"),
    pg.InvalidTextRepresentationError("invalid input syntax for type json"),
    asyncpg.DataError("invalid data"),  # SQLSTATE 22000
    # What asyncpg's own encoders raise for a value they cannot send: an
    # InterfaceError that is also a ValueError.
    pg._base.DataError("invalid input for query argument $1: 'x' (must be real number)"),
    pg.CheckViolationError('new row violates check constraint "score_range"'),
    pg.NotNullViolationError('null value in column "band" violates not-null constraint'),
    pg.UniqueViolationError("duplicate key value violates unique constraint"),
    pg.ForeignKeyViolationError("violates foreign key constraint"),
    pg.ProgramLimitExceededError("index row size exceeds btree maximum"),
    pg.TransactionIntegrityConstraintViolationError("deferred constraint failed"),
    TypeError("a bug the record trips"),
]


@pytest.mark.parametrize("exc", TRANSIENT, ids=lambda e: type(e).__name__)
def test_connection_and_concurrency_failures_are_waited_out(exc: Exception) -> None:
    assert classify(exc) is Fault.TRANSIENT


@pytest.mark.parametrize("exc", RECORD, ids=lambda e: type(e).__name__)
def test_data_and_constraint_errors_blame_the_record(exc: Exception) -> None:
    assert classify(exc) is Fault.RECORD


def test_the_sqlstate_decides_not_the_message() -> None:
    assert classify(pg.CheckViolationError("connection refused")) is Fault.RECORD
    assert classify(pg.AdminShutdownError("invalid input syntax")) is Fault.TRANSIENT


def test_a_description_names_class_and_sqlstate_but_not_the_rows_detail() -> None:
    exc = pg.CheckViolationError(
        'new row violates check constraint "c"\nDETAIL:  Failing row contains (acme, 55).'
    )
    assert describe(exc) == 'CheckViolationError 23514: new row violates check constraint "c"'
    assert describe(TimeoutError()) == "TimeoutError"


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def failing(times: int, exc: Exception) -> Callable[[], Awaitable[str]]:
    calls = 0

    async def action() -> str:
        nonlocal calls
        calls += 1
        if calls <= times:
            raise exc
        return "done"

    return action


async def test_a_connection_failure_is_retried_with_growing_capped_delays() -> None:
    sleeps, failures = Sleeps(), []
    action = failing(9, pg.CannotConnectNowError("starting up"))
    result = await retry_transient(action, "writing", lambda: failures.append(1), sleeps)
    assert result == "done"
    assert len(failures) == 9
    assert sleeps.delays[:4] == [0.5, 1.0, 2.0, 4.0]
    assert sleeps.delays[-1] == RETRY_MAX_SECONDS


async def test_a_data_error_is_raised_at_once_without_retrying() -> None:
    sleeps = Sleeps()
    with pytest.raises(pg.CheckViolationError):
        await retry_transient(failing(1, pg.CheckViolationError("no")), "writing", sleep=sleeps)
    assert sleeps.delays == []


class Table:
    """Writes all rows of a call or none, like one transaction; refuses rows starting
    "bad", and fails the first `outages` calls as if the connection dropped."""

    def __init__(self, outages: int = 0) -> None:
        self.rows: list[str] = []
        self.calls = 0
        self.outages = outages

    async def write(self, rows: Sequence[str]) -> None:
        self.calls += 1
        if self.calls <= self.outages:
            raise pg.ConnectionDoesNotExistError("connection lost")
        if any(row.startswith("bad") for row in rows):
            raise pg.CharacterNotInRepertoireError("invalid byte sequence")
        self.rows.extend(rows)


def retrying(sleeps: Sleeps) -> Callable[[Callable[[], Awaitable[None]]], Awaitable[None]]:
    async def retry(attempt: Callable[[], Awaitable[None]]) -> None:
        await retry_transient(attempt, "writing", sleep=sleeps)

    return retry


async def test_only_the_refused_rows_of_a_batch_are_returned_and_the_rest_is_written() -> None:
    rows = [f"ok{n}" for n in range(20)]
    rows[3], rows[17] = "bad3", "bad17"
    table, sleeps = Table(outages=2), Sleeps()
    refused = await write_isolating(rows, table.write, retrying(sleeps))
    assert [row for row, _ in refused] == ["bad3", "bad17"]
    assert all(isinstance(exc, pg.CharacterNotInRepertoireError) for _, exc in refused)
    assert sorted(table.rows) == sorted(r for r in rows if r.startswith("ok"))
    assert len(sleeps.delays) == 2  # the outage was waited out, not taken for bad rows


async def test_a_clean_batch_is_written_in_one_call() -> None:
    table = Table()
    assert await write_isolating(["a", "b", "c"], table.write, retrying(Sleeps())) == []
    assert table.calls == 1 and table.rows == ["a", "b", "c"]


def test_retry_delays_double_up_to_the_longest() -> None:
    delays = retry_delays(first=0.5, longest=4.0)
    assert [next(delays) for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
