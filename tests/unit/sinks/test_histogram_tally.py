"""A tallied histogram ends exactly where observing each value would have left it."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Histogram

from sinks.metrics import LAG_BUCKETS, HistogramTally


def samples(histogram: Histogram) -> list[tuple[str, dict[str, str], float]]:
    return [
        (s.name, s.labels, s.value)
        for metric in histogram.collect()
        for s in metric.samples
        if not s.name.endswith("_created")
    ]


def assert_same(tallied: Histogram, direct: Histogram) -> None:
    got, want = samples(tallied), samples(direct)
    assert [(n, labels) for n, labels, _ in got] == [(n, labels) for n, labels, _ in want]
    for (name, _, value), (_, _, expected) in zip(got, want, strict=True):
        # The sum is added in another order: equal up to rounding.
        assert math.isclose(value, expected, rel_tol=1e-9), (name, value, expected)


def pair() -> tuple[Histogram, Histogram]:
    def one() -> Histogram:
        return Histogram("lag", "", ["topic"], buckets=LAG_BUCKETS, registry=CollectorRegistry())

    return one(), one()


lags = st.one_of(
    st.sampled_from([0.0, *LAG_BUCKETS]),  # on a bound: that bucket, not the next
    st.floats(min_value=0, max_value=1e8, allow_nan=False),
)


@given(st.lists(st.lists(lags, max_size=30), max_size=4))
def test_tallied_batches_equal_observing_each_value(batches: list[list[float]]) -> None:
    direct, tallied = pair()
    tally = HistogramTally(tallied.labels("logins"))
    direct.labels("logins")
    for batch in batches:
        for lag in batch:
            direct.labels("logins").observe(lag)
            tally.observe(lag)
        tally.add_to_histogram()
    assert_same(tallied, direct)


def test_nothing_is_added_twice() -> None:
    direct, tallied = pair()
    tally = HistogramTally(tallied.labels("nps"))
    tally.observe(3.0)
    direct.labels("nps").observe(3.0)
    tally.add_to_histogram()
    tally.add_to_histogram()
    assert_same(tallied, direct)
