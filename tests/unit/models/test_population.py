"""The population that percentile curves rank accounts in."""

from __future__ import annotations

import random
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from models.population import MAX_SEGMENTS, SLOTS, Population, Sketch, bin_of

BREADTH = "engagement.breadth"


def _fill(population: Population, measures: list[float], segment: str | None = "smb") -> None:
    for i, measure in enumerate(measures):
        population.update(f"a{i}", segment, {BREADTH: measure})


def test_a_measure_ranks_by_the_share_of_accounts_below_it() -> None:
    population = Population()
    _fill(population, [float(n) for n in range(1, 101)])  # 1..100 features
    low = population.standing("smb", BREADTH, 5, min_accounts=30)
    mid = population.standing("smb", BREADTH, 50, min_accounts=30)
    high = population.standing("smb", BREADTH, 95, min_accounts=30)
    assert low is not None and mid is not None and high is not None
    assert abs(low.rank - 0.045) < 0.02
    assert abs(mid.rank - 0.495) < 0.02
    assert abs(high.rank - 0.945) < 0.02
    assert 45 <= mid.median <= 56


def test_the_rank_follows_the_product_not_an_absolute_scale() -> None:
    """4 features is poor where accounts use 20, good where they use 2."""
    rich, lean = Population(), Population()
    _fill(rich, [float(random.Random(i).randint(15, 25)) for i in range(100)])
    _fill(lean, [float(random.Random(i).randint(1, 3)) for i in range(100)])
    in_rich = rich.standing("smb", BREADTH, 4, 30)
    in_lean = lean.standing("smb", BREADTH, 4, 30)
    assert in_rich is not None and in_lean is not None
    assert in_rich.rank < 0.05 < 0.95 < in_lean.rank


def test_a_new_measure_replaces_the_accounts_old_one() -> None:
    population = Population()
    _fill(population, [10.0] * 40)
    assert not population.update("a0", "smb", {BREADTH: 10.0})  # same bin: nothing changes
    assert population.update("a0", "smb", {BREADTH: 1.0})
    sketch = population.sketch("smb", BREADTH)
    assert sketch is not None and sketch.total == 40
    assert sketch.counts[bin_of(1.0)] == 1 and sketch.counts[bin_of(10.0)] == 39
    population.remove("a0")
    assert sketch.total == 39 and len(population) == 39


def test_a_small_segment_is_ranked_among_all_accounts_and_a_tiny_population_not_at_all() -> None:
    population = Population()
    _fill(population, [float(n) for n in range(50)], segment="smb")
    _fill_enterprise = [population.update(f"e{i}", "enterprise", {BREADTH: 40.0}) for i in range(5)]
    assert all(_fill_enterprise)
    standing = population.standing("enterprise", BREADTH, 40, min_accounts=30)
    assert standing is not None and standing.segment == ""  # all 55 accounts
    assert standing.among == "the median account"
    own = population.standing("smb", BREADTH, 40, min_accounts=30)
    assert own is not None and own.segment == "smb"
    assert population.standing("smb", BREADTH, 40, min_accounts=1000) is None


def test_ties_rank_in_the_middle() -> None:
    population = Population()
    _fill(population, [0.0] * 60)
    standing = population.standing("smb", BREADTH, 0.0, 30)
    assert standing is not None and standing.rank == 0.5 and standing.median == 0.0


contributions = st.lists(
    st.tuples(
        st.integers(0, 30),  # account
        st.sampled_from(["smb", "mid", None]),
        st.floats(0, 1e7, allow_nan=False),
    ),
    max_size=80,
)


@settings(max_examples=60, deadline=None)
@given(contributions, st.randoms(use_true_random=False))
def test_the_histograms_depend_on_each_accounts_latest_measure_not_on_order(
    updates: list[tuple[int, str | None, float]], rnd: random.Random
) -> None:
    """Updates of different accounts may arrive in any order (each account's own
    stay in order, as they do on one Kafka partition): every reader ranks alike."""
    in_order = Population()
    for account, segment, measure in updates:
        in_order.update(f"a{account}", segment, {BREADTH: measure})
    by_account: dict[int, list[tuple[str | None, float]]] = {}
    for account, segment, measure in updates:
        by_account.setdefault(account, []).append((segment, measure))
    interleaved = Population()
    queues = {a: list(u) for a, u in by_account.items()}
    while queues:
        account = rnd.choice(sorted(queues))
        segment, measure = queues[account].pop(0)
        interleaved.update(f"a{account}", segment, {BREADTH: measure})
        if not queues[account]:
            del queues[account]
    latest_only = Population()
    for account, history in sorted(by_account.items(), reverse=True):
        segment, measure = history[-1]
        latest_only.update(f"a{account}", segment, {BREADTH: measure})
    for segment in (None, "smb", "mid"):
        expected = _counts(in_order, segment)
        assert _counts(interleaved, segment) == expected == _counts(latest_only, segment)
        for measure in (0.0, 3.0, 1e4):
            ranks = {
                (s.rank, s.median) if s else None
                for p in (in_order, interleaved, latest_only)
                for s in [p.standing(segment, BREADTH, measure, 1)]
            }
            assert len(ranks) == 1


def _counts(population: Population, segment: str | None) -> list[int]:
    sketch = population.sketch(segment, BREADTH)
    return sketch.counts if sketch is not None else [0] * SLOTS


def test_memory_per_segment_is_fixed_however_many_accounts() -> None:
    population = Population()
    rng = random.Random(3)
    _fill(population, [rng.lognormvariate(2, 2) for _ in range(5_000)])
    sketch = population.sketch("smb", BREADTH)
    assert sketch is not None and len(sketch.counts) == SLOTS and sketch.total == 5_000
    before = sys.getsizeof(sketch.counts)
    _fill(population, [rng.lognormvariate(2, 2) for _ in range(20_000)])
    assert sys.getsizeof(sketch.counts) == before


def test_segments_beyond_the_cap_count_only_among_all_accounts() -> None:
    population = Population()
    for i in range(MAX_SEGMENTS + 50):
        population.update(f"a{i}", f"segment-{i}", {BREADTH: 3.0})
    assert len(population.segments()) == MAX_SEGMENTS
    everyone = population.sketch(None, BREADTH)
    assert everyone is not None and everyone.total == MAX_SEGMENTS + 50


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, SLOTS - 1), st.booleans()), max_size=300))
def test_ranks_and_medians_read_the_counts_exactly_as_they_change(
    changes: list[tuple[int, bool]],
) -> None:
    sketch = Sketch()
    for slot, remove in changes:
        if remove and sketch.counts[slot] > 0:
            sketch.add(slot, -1)
        else:
            sketch.add(slot)
        for probe in (0, 1, slot, SLOTS // 2, SLOTS - 1):
            assert sketch.below(probe) == sum(sketch.counts[:probe])
    if sketch.total:
        half = sketch.total / 2
        median_slot = bin_of(sketch.median())
        assert sum(sketch.counts[:median_slot]) <= half <= sum(sketch.counts[: median_slot + 1])
