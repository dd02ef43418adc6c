"""Assigned input partitions the consumer does not fetch are reported and resumed.

The fakes hold what aiokafka and Faust hold: a partition left out of the
consumer's active set was fetched once (its high watermark is known) and is
fetched no further; a partition the broker never answered a fetch for has no
high watermark, active or not.
"""

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
    buffered_partitions: set[TP] = field(default_factory=set)
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
    """logins fetched; tickets and the changelog left out of the active set, as
    Faust leaves them paused; aiokafka fetched them once."""
    assigned = {LOGINS_0, LOGINS_1, TICKETS_0, CHANGELOG_0}
    app = App(Consumer(assigned, {LOGINS_0, LOGINS_1}, {TICKETS_0, CHANGELOG_0}))
    highwaters: dict[TP, int | None] = {LOGINS_0: 120, LOGINS_1: 80, TICKETS_0: 40, CHANGELOG_0: 9}
    clock = Clock()
    watch = FetchWatch(app, {"logins", "tickets"}, highwaters.get, PATIENCE, clock)
    return app, highwaters, clock, watch


def test_a_partition_left_out_past_the_patience_is_reported_resumed_and_then_fetched(
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
    assert (
        "tickets[0] not fetched for 60 s (active: False, paused: True, high watermark: 40)"
        in caplog.text
    )
    watch.check()
    assert watch.longest_unfetched() is None, "back in the active set, with records known"


def test_an_active_partition_the_broker_never_answered_for_is_reported_too(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, highwaters, clock, watch = stalled()
    app.consumer.resume_partitions([TICKETS_0])
    app.consumer.resumed.clear()
    highwaters[TICKETS_0] = None
    watch.check()
    clock.now += PATIENCE
    with caplog.at_level(logging.ERROR):
        assert watch.check() == [TICKETS_0]
    assert "(active: True, paused: False, high watermark: None)" in caplog.text


def test_a_partition_resumed_within_the_patience_is_left_alone() -> None:
    app, _, clock, watch = stalled()
    watch.check()
    clock.now += PATIENCE / 2
    app.consumer.resume_partitions([TICKETS_0])  # Faust's recovery resumes it
    watch.check()
    clock.now += PATIENCE
    assert watch.check() == []
    assert app.consumer.resumed == [TICKETS_0]


def test_a_partition_first_fetched_within_the_patience_is_left_alone() -> None:
    app, highwaters, clock, watch = stalled()
    app.consumer.resume_partitions([TICKETS_0])
    app.consumer.resumed.clear()
    highwaters[TICKETS_0] = None
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
    app, highwaters, clock, watch = stalled()
    highwaters[TICKETS_0] = None  # never fetched: a resume does not help
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
    highwaters[TICKETS_0] = None
    assert watch.longest_unfetched() is None, "nothing checked yet"
    watch.check()
    clock.now += PATIENCE
    assert watch.check() == [TICKETS_0]
    clock.now += 10
    assert watch.longest_unfetched() == (TICKETS_0, PATIENCE + 10)
    highwaters[TICKETS_0] = 5
    watch.check()
    assert watch.longest_unfetched() is None
