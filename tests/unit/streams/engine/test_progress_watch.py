"""/readyz's rule: a worker whose input stops moving while records wait is not ready."""

from __future__ import annotations

from dataclasses import dataclass, field

from faust.types import TP

from streams.engine.fetch_watch import FetchWatch
from streams.engine.progress_watch import ProgressWatch

LOGINS_0, LOGINS_1 = TP("logins", 0), TP("logins", 1)
CHANGELOG_0 = TP("app-account-state-changelog", 0)
STALL = 60.0


@dataclass
class Consumer:
    assigned: set[TP]
    active_partitions: set[TP] = field(default_factory=set)
    paused_partitions: set[TP] = field(default_factory=set)
    buffered_partitions: set[TP] = field(default_factory=set)
    # The next offset to read of each partition, as last committed.
    committed_offsets: dict[TP, int | None] = field(default_factory=dict)
    flow_active: bool = True

    def assignment(self) -> set[TP]:
        return self.assigned

    def resume_partitions(self, tps: list[TP]) -> None:
        self.active_partitions.update(tps)


@dataclass
class App:
    consumer: Consumer
    rebalancing: bool = False
    in_recovery: bool = False


@dataclass
class Message:
    tp: TP
    offset: int


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def watching() -> tuple[dict[TP, int | None], Clock, FetchWatch, ProgressWatch]:
    assigned = {LOGINS_0, LOGINS_1, CHANGELOG_0}
    app = App(Consumer(assigned, set(assigned)))
    highwaters: dict[TP, int | None] = {LOGINS_0: 10, LOGINS_1: 10, CHANGELOG_0: 99}
    clock = Clock()
    fetches = FetchWatch(app, {"logins"}, highwaters.get, STALL, clock)
    progress = ProgressWatch(app, {"logins"}, highwaters.get, fetches, STALL, clock)
    return highwaters, clock, fetches, progress


def committed(progress: ProgressWatch) -> dict[TP, int | None]:
    """The consumer's committed offsets: the next offset to read, per partition."""
    offsets: dict[TP, int | None] = progress.app.consumer.committed_offsets
    return offsets


def batch(tp: TP, first: int, last: int) -> list[Message]:
    return [Message(tp, offset) for offset in range(first, last + 1)]


def test_a_worker_that_processed_and_committed_what_it_was_given_is_ready() -> None:
    _, clock, _, progress = watching()
    progress.delivered(batch(LOGINS_0, 0, 9))
    progress.processed(batch(LOGINS_0, 0, 9))
    committed(progress)[LOGINS_0] = 10
    clock.now += 10 * STALL
    assert progress.unready_reason() is None, "idle with nothing waiting is fine"


def test_records_processed_and_never_committed_for_the_stall_time_is_unready() -> None:
    _, clock, _, progress = watching()
    committed(progress)[LOGINS_0] = 100
    progress.delivered(batch(LOGINS_0, 100, 400))
    progress.processed(batch(LOGINS_0, 160, 400))  # 100-159 skipped: commits refused
    assert progress.unready_reason() is None, "commits come every few seconds"
    clock.now += STALL
    assert progress.unready_reason() == (
        "input partition logins[0] has records processed and not committed for 60 s"
    )
    committed(progress)[LOGINS_0] = 401
    assert progress.unready_reason() is None, "committed: ready at once"


def test_records_processed_and_committed_a_little_at_a_time_keep_a_worker_ready() -> None:
    _, clock, _, progress = watching()
    progress.delivered(batch(LOGINS_1, 0, 999))
    for done in range(0, 1000, 100):
        progress.processed(batch(LOGINS_1, done, done + 99))
        assert progress.unready_reason() is None
        clock.now += STALL / 2
        committed(progress)[LOGINS_1] = done + 50  # the commit trails what is processed


def test_records_waiting_and_none_processed_for_the_stall_time_is_unready_until_it_moves() -> None:
    highwaters, clock, _, progress = watching()
    progress.delivered(batch(LOGINS_0, 0, 9))
    progress.processed(batch(LOGINS_0, 0, 4))  # then the agent stops
    committed(progress)[LOGINS_0] = 5  # what it processed is committed
    assert progress.unready_reason() is None, "lag seen just now"
    clock.now += STALL - 1
    assert progress.unready_reason() is None
    clock.now += 1
    assert progress.unready_reason() == (
        "input partition logins[0] has records waiting and none processed for 60 s"
    )
    progress.processed(batch(LOGINS_0, 5, 6))
    assert progress.unready_reason() is None, "moving again: ready at once"
    progress.processed(batch(LOGINS_0, 7, 9))
    assert progress.unready_reason() is None, "caught up"
    committed(progress)[LOGINS_0] = 10  # and committed
    highwaters[LOGINS_0] = 12
    clock.now += STALL
    assert progress.unready_reason() is None, "new records after a quiet spell: lag just seen"


def test_delivered_and_never_processed_is_a_stall_too() -> None:
    _, clock, _, progress = watching()
    progress.delivered(batch(LOGINS_1, 3, 9))
    progress.unready_reason()
    clock.now += STALL
    assert "logins[1]" in (progress.unready_reason() or "")


def test_a_rebalance_forgets_the_positions() -> None:
    _, clock, _, progress = watching()
    progress.delivered(batch(LOGINS_0, 0, 9))
    progress.unready_reason()
    progress.forget()
    clock.now += STALL
    assert progress.unready_reason() is None


def test_an_assigned_input_partition_not_fetched_for_the_stall_time_is_unready() -> None:
    highwaters, clock, fetches, progress = watching()
    highwaters[LOGINS_1] = None
    fetches.check()
    clock.now += STALL
    fetches.check()  # resumes it, and it still is not fetched
    assert progress.unready_reason() == "input partition logins[1] not fetched for 60 s"
    highwaters[LOGINS_1] = 0
    fetches.check()
    assert progress.unready_reason() is None
