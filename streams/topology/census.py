"""Accounts per band and segment, ARR per band, accounts per lifecycle status, and
expansion candidates per segment, of this worker's own partitions.

A churned account has left the active portfolio: it is counted per lifecycle
status and in the ARR lost, never in a band.
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

from models.health import Band, Health
from models.lifecycle.status import LifecycleStatus
from sinks.metrics import Metrics


class _Counted(NamedTuple):
    partition: int
    band: str
    segment: str
    arr: float
    status: LifecycleStatus
    arr_lost: float  # while churned
    candidate: bool  # an expansion candidate (never while churned)


class Census:
    """Kept up to date from every health the worker computes; published as gauges.

    Small per account (partition, band, segment, ARR, lifecycle status), so it
    needs no table scan; accounts of partitions this worker no longer owns are
    dropped on `keep`.
    """

    def __init__(self) -> None:
        self._accounts: dict[str, _Counted] = {}

    def record(self, health: Health, partition: int) -> None:
        lifecycle = health.current_lifecycle
        self._accounts[health.account_id] = _Counted(
            partition,
            health.band.value,
            health.segment or "unknown",
            float(health.arr or 0.0),
            lifecycle.status,
            float(lifecycle.arr_lost or 0.0) if lifecycle.churned else 0.0,
            health.growth is not None and health.growth.candidate and not lifecycle.churned,
        )

    def keep(self, partitions: set[int]) -> None:
        gone = [a for a, counted in self._accounts.items() if counted.partition not in partitions]
        for account_id in gone:
            del self._accounts[account_id]

    def publish(self, metrics: Metrics) -> None:
        accounts: Counter[tuple[str, str]] = Counter()
        arr = dict.fromkeys((band.value for band in Band), 0.0)
        statuses = dict.fromkeys(LifecycleStatus, 0)
        arr_lost = expansion_arr = 0.0
        candidates: Counter[str] = Counter()
        for counted in self._accounts.values():
            statuses[counted.status] += 1
            if counted.status is LifecycleStatus.CHURNED:
                arr_lost += counted.arr_lost
                continue
            accounts[(counted.band, counted.segment)] += 1
            arr[counted.band] += counted.arr
            if counted.candidate:
                candidates[counted.segment] += 1
                expansion_arr += counted.arr
        metrics.accounts.clear()
        for (band, segment), number in accounts.items():
            metrics.accounts.labels(band, segment).set(number)
        for band, value in arr.items():
            metrics.arr.labels(band).set(value)
        for status, number in statuses.items():
            metrics.lifecycle_accounts.labels(status.value).set(number)
        metrics.arr_lost.set(arr_lost)
        metrics.expansion_candidates.clear()
        for segment, number in candidates.items():
            metrics.expansion_candidates.labels(segment).set(number)
        metrics.expansion_arr.set(expansion_arr)
