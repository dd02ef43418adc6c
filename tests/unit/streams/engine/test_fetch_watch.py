"""Assigned input partitions that are never fetched are reported and resumed."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest
from faust.types import TP

from streams.engine.fetch_watch import FetchWatch

LOGINS_0, LOGINS_1 = TP("logins", 0), TP("logins", 1)
TICKETS_0 = TP("tickets", 0)
CHANGELOG_0 = TP("app-account-state-changelog", 0)
PATIENCE = 60.0


@dataclass
class Consumer:
    """What of faust's consumer the watch reads, as it stood in a stalled worker."""

    assigned: set[TP]
    active_partitions: set[TP]
    paused_partitions: set[TP] = field(default_factory=set)
    flow_active: bool = True
    resumed: list[TP] = field(default_factory=list)

    def assignment(self) -> set[TP]:
        return self.assigned

    def resume_partitions(self, tps: list[TP]) -> None:
        self.resumed += tps
        self.active_partitions.update(tps)
        self.paused_partitions.difference_update(tps)


@dataclass
class App:
    consumer: Consumer
    rebalancing: bool = False
    in_recovery: bool = False


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def stalled() -> tuple[App, dict[TP, int | None], Clock, FetchWatch]:
    """logins fetched; tickets and the changelog assigned but never fetched."""
    assigned = {LOGINS_0, LOGINS_1, TICKETS_0, CHANGELOG_0}
    app = App(Consumer(assigned, {LOGINS_0, LOGINS_1}))
    highwaters: dict[TP, int | None] = {LOGINS_0: 120, LOGINS_1: 80}
    clock = Clock()
    watch = FetchWatch(app, {"logins", "tickets"}, highwaters.get, PATIENCE, clock)
    return app, highwaters, clock, watch


def test_a_partition_never_fetched_past_the_patience_is_reported_and_resumed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, _, clock, watch = stalled()
    assert watch.check() == [], "just seen: it may still be on its way"
    clock.now += PATIENCE - 1
    assert watch.check() == []
    clock.now += 1
    with caplog.at_level(logging.ERROR):
        assert watch.check() == [TICKETS_0]
    assert app.consumer.resumed == [TICKETS_0], "the changelog is not an input: left alone"
    assert "tickets[0] not fetched for 60 s (active: False, paused: False)" in caplog.text


def test_a_partition_fetched_within_the_patience_is_left_alone() -> None:
    app, highwaters, clock, watch = stalled()
    watch.check()
    clock.now += PATIENCE / 2
    highwaters[TICKETS_0] = 0  # an empty partition answers a fetch too
    watch.check()
    clock.now += PATIENCE
    assert watch.check() == []
    assert app.consumer.resumed == []


@pytest.mark.parametrize("moment", ["rebalancing", "in_recovery", "flow stopped"])
def test_nothing_is_resumed_while_the_group_is_moving_and_the_wait_starts_again(
    moment: str,
) -> None:
    app, _, clock, watch = stalled()
    watch.check()
    clock.now += PATIENCE
    if moment == "flow stopped":
        app.consumer.flow_active = False
    else:
        setattr(app, moment, True)
    assert watch.check() == []
    app.rebalancing = app.in_recovery = False
    app.consumer.flow_active = True
    assert watch.check() == [], "the patience counts from the group settling"
    clock.now += PATIENCE
    assert watch.check() == [TICKETS_0]


def test_a_resumed_partition_is_reported_again_only_after_another_patience() -> None:
    app, _, clock, watch = stalled()
    watch.check()
    clock.now += PATIENCE
    assert watch.check() == [TICKETS_0]
    clock.now += PATIENCE / 2
    assert watch.check() == []
    clock.now += PATIENCE / 2
    assert watch.check() == [TICKETS_0]
    assert app.consumer.resumed == [TICKETS_0, TICKETS_0]


def test_the_longest_unfetched_partition_counts_from_first_seen_through_resumes() -> None:
    _, highwaters, clock, watch = stalled()
    assert watch.longest_unfetched() is None, "nothing checked yet"
    watch.check()
    clock.now += PATIENCE
    assert watch.check() == [TICKETS_0]
    clock.now += 10
    assert watch.longest_unfetched() == (TICKETS_0, PATIENCE + 10)
    highwaters[TICKETS_0] = 5
    watch.check()
    assert watch.longest_unfetched() is None
