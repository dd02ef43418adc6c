"""Accounts per band and segment, and ARR per band, of this worker's own partitions."""

from __future__ import annotations

from collections import Counter

from models.health import Band, Health
from sinks.metrics import Metrics


class Census:
    """Kept up to date from every health the worker computes; published as gauges.

    Small per account (partition, band, segment, ARR), so it needs no table
    scan; accounts of partitions this worker no longer owns are dropped on `keep`.
    """

    def __init__(self) -> None:
        self._accounts: dict[str, tuple[int, str, str, float]] = {}

    def record(self, health: Health, partition: int) -> None:
        self._accounts[health.account_id] = (
            partition,
            health.band.value,
            health.segment or "unknown",
            float(health.arr or 0.0),
        )

    def keep(self, partitions: set[int]) -> None:
        gone = [a for a, (partition, *_) in self._accounts.items() if partition not in partitions]
        for account_id in gone:
            del self._accounts[account_id]

    def publish(self, metrics: Metrics) -> None:
        accounts: Counter[tuple[str, str]] = Counter()
        arr = dict.fromkeys((band.value for band in Band), 0.0)
        for _, band, segment, value in self._accounts.values():
            accounts[(band, segment)] += 1
            arr[band] += value
        metrics.accounts.clear()
        for (band, segment), number in accounts.items():
            metrics.accounts.labels(band, segment).set(number)
        for band, value in arr.items():
            metrics.arr.labels(band).set(value)
