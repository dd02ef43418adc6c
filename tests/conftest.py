from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.servers import kafka_broker, postgres


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    with kafka_broker() as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    with postgres() as dsn:
        yield dsn
