"""Re-evaluation on a schedule: health moves, and alerts mature, without new events."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import yaml

from models.model_config import load_model
from tests.integration.test_pipeline import ago, profile, topic, unique
from tests.support.kafka_io import event_message, produce, read_until
from tests.support.worker import new_worker, worker_env

pytestmark = pytest.mark.integration


def slow_alert_model(folder: Path, pending_seconds: int) -> Path:
    model = load_model(None).model_dump(mode="json")
    model["alerts"] = {**model["alerts"], "pending_for": pending_seconds}
    path = folder / "model.yaml"
    path.write_text(yaml.safe_dump(model))
    return path


async def test_a_pending_alert_fires_on_the_schedule_without_new_events(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    env = worker_env(
        kafka_bootstrap,
        None,
        tmp_path,
        HS_MODEL=str(slow_alert_model(tmp_path, pending_seconds=4)),
        HS_RESCORE_INTERVAL_SECONDS="1",
    )
    worker = new_worker(env, tmp_path).start()
    try:
        account = unique("quiet")
        await produce(kafka_bootstrap, topic(worker, "accounts"), [event_message(profile(account))])
        stale = {
            "event_id": unique("l"),
            "account_id": account,
            "occurred_at": ago(days=60),
            "user_id": "u1",
        }
        await produce(kafka_bootstrap, topic(worker, "logins"), [event_message(stale)])
        # Nothing else is sent: only the scheduled re-evaluation can mature the alert.
        records = await read_until(
            kafka_bootstrap,
            topic(worker, "health.alerts"),
            lambda rs: any(r.key == account.encode() for r in rs),
            within=60,
        )
        alert = orjson.loads(next(r.value for r in records if r.key == account.encode()))
        assert alert["kind"] == "band_entered"
        assert alert["status"] == "firing"
        ticks = await read_until(
            kafka_bootstrap, topic(worker, "health.ticks"), lambda rs: len(rs) >= 1, within=5
        )
        assert any(account in orjson.loads(t.value) for t in ticks)
    finally:
        worker.stop()
