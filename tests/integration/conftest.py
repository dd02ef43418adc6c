from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import yaml

from models.model_config import load_model
from tests.integration.sink_receiver import Receiver, running_receiver
from tests.support.servers import scratch_database
from tests.support.worker import WorkerProcess, new_worker, worker_env

pytestmark = pytest.mark.integration


def fast_alert_model(folder: Path) -> Path:
    """The default model, but alerts fire at once: tests cannot wait out `pending_for`."""
    model = load_model(None).model_dump(mode="json")
    model["alerts"] = {**model.get("alerts", {}), "pending_for": 0}
    model["version"] = f"{model['version']}-test"
    path = folder / "model.yaml"
    path.write_text(yaml.safe_dump(model))
    return path


@pytest.fixture(scope="module")
def worker(
    kafka_bootstrap: str, pg_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    """One real worker process with its own topics, group, state and the real database."""
    folder = tmp_path_factory.mktemp("worker")
    env = worker_env(kafka_bootstrap, pg_dsn, folder, HS_MODEL=str(fast_alert_model(folder)))
    process = new_worker(env, folder)
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def own_database(pg_dsn: str) -> Iterator[str]:
    """A database of the test module's own, for views that sum every account in it."""
    with scratch_database(pg_dsn) as dsn:
        yield dsn


@pytest.fixture(scope="module")
async def own_db(own_database: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the module's own database."""
    connection = await asyncpg.connect(own_database)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A local HTTP receiver standing in for Slack, PagerDuty, Alertmanager or a webhook."""
    async with running_receiver() as receiver:
        yield receiver


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client
