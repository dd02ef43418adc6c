"""Only errors that pass with time are retried; errors about the data are not."""

from __future__ import annotations

import asyncpg
import pytest

from sinks.postgres_errors import is_transient, retry_delays


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (asyncpg.exceptions.ConnectionDoesNotExistError("gone"), True),  # 08003
        (asyncpg.exceptions.SerializationError("retry"), True),  # 40001
        (asyncpg.exceptions.DeadlockDetectedError("deadlock"), True),  # 40P01
        (asyncpg.exceptions.TooManyConnectionsError("full"), True),  # 53300
        (asyncpg.exceptions.AdminShutdownError("bye"), True),  # 57P01
        (asyncpg.exceptions.CannotConnectNowError("starting"), True),  # 57P03
        (asyncpg.InterfaceError("connection is closed"), True),
        (ConnectionRefusedError(), True),
        (TimeoutError(), True),
        (asyncpg.exceptions.UniqueViolationError("dup"), False),  # 23505
        (asyncpg.exceptions.CharacterNotInRepertoireError("NUL"), False),  # 22021
        (asyncpg.exceptions.QueryCanceledError("statement timeout"), False),  # 57014
        (asyncpg.exceptions._base.DataError("invalid input for query argument $1"), False),
        (ValueError("a bug"), False),
    ],
)
def test_only_connection_resource_and_rollback_errors_are_transient(
    error: Exception, transient: bool
) -> None:
    assert is_transient(error) is transient


def test_retry_delays_double_up_to_the_longest() -> None:
    delays = retry_delays(first=0.5, longest=4.0)
    assert [next(delays) for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
