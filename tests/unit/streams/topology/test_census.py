"""The portfolio gauges: a churned account counts per lifecycle status and in ARR lost,
never in a band."""

from __future__ import annotations

from datetime import date

from models.health import Band
from models.lifecycle.status import Lifecycle, LifecycleStatus
from sinks.metrics import create_metrics
from streams.topology.census import Census
from tests.unit.streams.api.test_openapi import GROWTH, HEALTH

CHURNED = Lifecycle(
    status=LifecycleStatus.CHURNED, churned_on=date(2025, 2, 1), arr_lost=9_000.0, churns=1
)


def test_a_churned_account_is_counted_apart_from_the_bands() -> None:
    census, metrics = Census(), create_metrics()
    critical = HEALTH.model_copy(update={"band": Band.CRITICAL, "arr": 5_000.0})
    census.record(critical, 0)
    census.record(critical.model_copy(update={"account_id": "gone", "lifecycle": CHURNED}), 1)
    census.publish(metrics)

    def value(name: str, **labels: str) -> float | None:
        return metrics.registry.get_sample_value(name, labels)

    segment = critical.segment or "unknown"
    assert value("healthscore_accounts", band="critical", segment=segment) == 1
    assert value("healthscore_arr", band="critical") == 5_000
    assert value("healthscore_lifecycle_accounts", status="churned") == 1
    assert value("healthscore_lifecycle_accounts", status="active") == 1
    assert value("healthscore_lifecycle_accounts", status="resurrected") == 0
    assert value("healthscore_arr_lost") == 9_000


def test_expansion_candidates_are_counted_per_segment_with_their_arr() -> None:
    census, metrics = Census(), create_metrics()
    candidate = HEALTH.model_copy(
        update={"band": Band.HEALTHY, "arr": 40_000.0, "segment": "smb", "growth": GROWTH}
    )
    census.record(candidate, 0)
    census.record(candidate.model_copy(update={"account_id": "b", "arr": 10_000.0}), 0)
    census.record(candidate.model_copy(update={"account_id": "gone", "lifecycle": CHURNED}), 1)
    weak = GROWTH.model_copy(update={"candidate": False})
    census.record(candidate.model_copy(update={"account_id": "weak", "growth": weak}), 1)
    census.publish(metrics)
    sample = metrics.registry.get_sample_value
    assert sample("healthscore_expansion_candidates", {"segment": "smb"}) == 2
    assert sample("healthscore_expansion_arr", {}) == 50_000
