"""Which lane of fetched messages goes, and when: full, window over, or caught up and old."""

from __future__ import annotations

from dataclasses import dataclass

from faust.types import TP

from streams.engine.gathering import Gathering

WINDOW = 0.5
P0 = TP("logins", 0)
P1 = TP("logins", 1)
T0 = TP("tickets", 0)


@dataclass
class Fetched:
    tp: TP
    offset: int
    timestamp: float | None
    value: bytes | None = b"{}"


class Clocks:
    """A monotonic clock and a wall clock that move together."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1_700_000_000.0 + self.now

    def record_stamp(self, age: float) -> float:
        """The timestamp of a record produced `age` seconds ago."""
        return self.wall() - age


def gathering(
    clocks: Clocks, highwaters: dict[TP, int | None], limit: int = 100, byte_limit: int = 10_000
) -> Gathering:
    return Gathering(WINDOW, limit, highwaters.get, clocks.monotonic, clocks.wall, byte_limit)


def fetch(tp: TP, offsets: range, stamp: float | None) -> list[Fetched]:
    return [Fetched(tp, offset, stamp) for offset in offsets]


def test_fresh_records_wait_out_the_window_even_when_nothing_more_is_there() -> None:
    clocks = Clocks()
    batch = gathering(clocks, {P0: 10})
    batch.add(fetch(P0, range(10), clocks.record_stamp(0.01)))
    assert batch.caught_up(0)
    assert not batch.ready(), "fresh records wait so later events of their accounts join"
    clocks.now += WINDOW - 0.02
    assert not batch.ready()
    clocks.now += 0.02
    assert batch.ready()


def test_records_that_waited_a_window_go_at_once_when_nothing_more_is_there() -> None:
    clocks = Clocks()
    highwaters: dict[TP, int | None] = {P0: 1, T0: 1}
    batch = gathering(clocks, highwaters)
    batch.add(fetch(P0, range(1), clocks.record_stamp(0.0)))
    batch.add(fetch(T0, range(1), clocks.record_stamp(0.0)))
    clocks.now += WINDOW
    assert len(batch.take()) == 2, "both topics' partition 0 go together"
    highwaters.update({P0: 10, T0: 5})
    batch.add(fetch(P0, range(1, 10), clocks.record_stamp(0.6)))
    assert not batch.ready(), "tickets' partition 0 has more at the broker"
    batch.add(fetch(T0, range(1, 5), clocks.record_stamp(0.2)))
    assert batch.ready(), "everything is taken and the oldest record waited a window"


def test_old_records_wait_while_the_broker_has_more() -> None:
    clocks = Clocks()
    highwaters: dict[TP, int | None] = {P0: 30}
    batch = gathering(clocks, highwaters)
    batch.add(fetch(P0, range(10), clocks.record_stamp(2.0)))
    assert not batch.caught_up(0)
    assert not batch.ready()
    clocks.now += WINDOW
    assert batch.ready(), "the window from the first fetch still bounds the wait"


def test_a_partition_whose_high_watermark_is_unknown_holds_nothing_back() -> None:
    clocks = Clocks()
    batch = gathering(clocks, {P0: None})
    batch.add(fetch(P0, range(3), clocks.record_stamp(1.0)))
    assert batch.ready()


def test_records_without_timestamps_wait_out_the_window() -> None:
    clocks = Clocks()
    batch = gathering(clocks, {P0: 3})
    batch.add(fetch(P0, range(3), None))
    assert not batch.ready()
    clocks.now += WINDOW
    assert batch.ready()


def test_a_full_gathering_gives_up_its_longest_waiting_lane_at_once() -> None:
    clocks = Clocks()
    batch = gathering(clocks, {P0: 1_000, P1: 1_000}, limit=100)
    batch.add(fetch(P0, range(60), clocks.record_stamp(0.0)))
    clocks.now += 0.1
    batch.add(fetch(P1, range(39), clocks.record_stamp(0.0)))
    assert not batch.full and not batch.ready()
    batch.add(fetch(P1, range(39, 40), clocks.record_stamp(0.0)))
    assert batch.full and batch.ready()
    assert {m.tp for m in batch.take()} == {P0}
    assert batch.pending == 40 and not batch.full


def test_a_gathering_of_large_messages_is_full_by_their_bytes() -> None:
    clocks = Clocks()
    batch = gathering(clocks, {P0: 1_000, P1: 1_000}, limit=100, byte_limit=1_000)
    envelope = b"[" + b" " * 298 + b"]"
    batch.add([Fetched(P0, offset, clocks.record_stamp(0.0), envelope) for offset in range(3)])
    batch.add([Fetched(P1, 0, clocks.record_stamp(0.0), None)])
    assert batch.pending_bytes == 900 and not batch.full
    batch.add([Fetched(P1, 1, clocks.record_stamp(0.0), envelope)])
    assert batch.full, "four messages, but 1,200 bytes"
    assert len(batch.take()) == 3
    assert batch.pending_bytes == 300 and not batch.full


def test_taking_a_lane_starts_its_next_window_at_its_next_fetch() -> None:
    clocks = Clocks()
    batch = gathering(clocks, {P0: 1_000})
    batch.add(fetch(P0, range(10), clocks.record_stamp(0.0)))
    clocks.now += WINDOW
    assert [m.offset for m in batch.take()] == list(range(10))
    assert not batch.ready(), "nothing gathered"
    assert batch.take() == []
    clocks.now += 5.0
    batch.add(fetch(P0, range(10, 20), clocks.record_stamp(0.0)))
    assert not batch.ready(), "the window runs from this lane's first fetch"
    clocks.now += WINDOW
    assert batch.ready()


def test_offsets_taken_in_earlier_batches_count_towards_being_caught_up() -> None:
    clocks = Clocks()
    highwaters: dict[TP, int | None] = {P0: 10, T0: 10}
    batch = gathering(clocks, highwaters)
    batch.add(fetch(P0, range(10), clocks.record_stamp(0.0)))
    batch.add(fetch(T0, range(10), clocks.record_stamp(0.0)))
    batch.take()
    highwaters[P0] = 12
    batch.add(fetch(P0, range(10, 12), clocks.record_stamp(0.7)))
    assert batch.ready(), "tickets' partition 0 gave everything in the batch before"
    batch.forget_offsets()
    highwaters[T0] = 15
    assert batch.ready(), "after a rebalance only partitions taken from since count"


def test_lanes_go_one_at_a_time_and_a_ready_lane_never_waits_for_another() -> None:
    clocks = Clocks()
    highwaters: dict[TP, int | None] = {P0: 5, P1: 50}
    batch = gathering(clocks, highwaters)
    batch.add(fetch(P0, range(5), clocks.record_stamp(0.8)))
    batch.add(fetch(P1, range(10), clocks.record_stamp(0.9)))
    assert batch.ready(), "partition 0 is caught up and old enough; partition 1 lags"
    taken = batch.take()
    assert {m.tp for m in taken} == {P0}
    assert not batch.ready() and batch.take() == [], "partition 1 still has more at the broker"
    assert batch.pending == 10


def test_of_the_ready_lanes_the_one_that_waited_longest_goes_first() -> None:
    clocks = Clocks()
    batch = gathering(clocks, {})
    batch.add(fetch(P1, range(3), clocks.record_stamp(0.0)))
    clocks.now += 0.2
    batch.add(fetch(P0, range(3), clocks.record_stamp(0.0)))
    batch.add(fetch(P1, range(3, 6), clocks.record_stamp(0.0)))
    clocks.now += WINDOW
    assert [m.tp for m in batch.take()] == [P1] * 6
    assert [m.tp for m in batch.take()] == [P0] * 3
    assert batch.pending == 0 and not batch.ready()


def test_a_fetch_spanning_partitions_is_split_into_their_lanes() -> None:
    clocks = Clocks()
    batch = gathering(clocks, {P0: 2, P1: 2, T0: 1})
    mixed = fetch(P0, range(2), clocks.record_stamp(1.0)) + fetch(P1, range(2), None)
    batch.add(mixed + fetch(T0, range(1), clocks.record_stamp(1.0)))
    assert batch.pending == 5
    first = batch.take()
    assert sorted((m.tp.topic, m.offset) for m in first) == [
        ("logins", 0),
        ("logins", 1),
        ("tickets", 0),
    ], "partition 0 is ready: caught up and old; partition 1's records carry no timestamp"
    assert not batch.ready()
    clocks.now += WINDOW
    assert [m.tp for m in batch.take()] == [P1, P1]
