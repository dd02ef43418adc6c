"""Where an account stands among the others: percentiles of factor measures per segment.

A factor whose scale depends on the product (how many features, how many
active users, how long a first reply takes) cannot have one absolute curve
that fits every product. A model can give such a factor a `percentile_curve`
instead: the account's measure is ranked among the latest measures of every
account in its segment, and the rank (0-1) goes through that curve.

`Population` keeps, for every segment and factor, a histogram over fixed
log-spaced bins (`Sketch`): memory per segment is fixed however many accounts
it holds. It also keeps each account's last contribution (its segment and bin
per factor), so a new measure of the same account replaces the old one. The
histograms therefore depend only on the latest contribution of each account,
never on the order contributions arrived in: every worker that reads the same
contributions ranks alike.

Ranks are mid-ranks: accounts tied with the measure count half, so a measure
every account shares ranks 0.5, and within a bin the rank is interpolated on
the log scale. Measures at or below zero share the lowest bin.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

# Bins: [0] holds measures <= 0; [1..BINS] are geometric from LOW to HIGH (each
# about 5 % wider than the one before); [BINS + 1] holds measures above HIGH.
LOW = 1e-3
HIGH = 1e6
BINS = 400
_LOG_LOW = math.log(LOW)
_STEP = (math.log(HIGH) - _LOG_LOW) / BINS
SLOTS = BINS + 2
BLOCK = 20  # bins per block of Sketch.blocks

# Segments beyond this many count only in the population of all accounts, so
# a producer that writes a fresh segment name per account cannot grow memory.
MAX_SEGMENTS = 256
ALL = ""  # the key of the population of all accounts


def bin_of(measure: float) -> int:
    """The bin a measure falls in."""
    return _placed(measure)[0]


def _placed(measure: float) -> tuple[int, float]:
    """The bin a measure falls in, and where in it (0-1, log scale; 0.5 in the end bins)."""
    if not measure > 0:  # also NaN
        return 0, 0.5
    if measure >= HIGH:
        return SLOTS - 1, 0.5
    steps = (math.log(measure) - _LOG_LOW) / _STEP
    if steps < 0:
        return 1, 0.0
    slot = min(BINS, int(steps) + 1)
    return slot, min(1.0, steps - (slot - 1))


class Sketch:
    """Counts of accounts per bin for one factor in one segment.

    The bins are grouped in blocks of BLOCK whose totals are kept as counts
    change, so a rank or the median sums a few dozen numbers however often the
    population changes between two scores (it does, on a busy worker).
    """

    __slots__ = ("blocks", "counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * SLOTS
        self.blocks = [0] * (SLOTS // BLOCK + 1)
        self.total = 0

    def add(self, slot: int, number: int = 1) -> None:
        self.counts[slot] += number
        self.blocks[slot // BLOCK] += number
        self.total += number

    def below(self, slot: int) -> int:
        """Accounts in the bins before `slot`."""
        block = slot // BLOCK
        return sum(self.blocks[:block]) + sum(self.counts[block * BLOCK : slot])

    def rank(self, measure: float) -> float:
        """The share of accounts below `measure` (ties count half); 0.5 when empty."""
        if self.total <= 0:
            return 0.5
        slot, position = _placed(measure)
        return (self.below(slot) + position * self.counts[slot]) / self.total

    def median(self) -> float:
        """The measure half the accounts lie below (interpolated within its bin)."""
        half = self.total / 2
        seen = 0
        for block, in_block in enumerate(self.blocks):
            if not in_block or seen + in_block < half:
                seen += in_block
                continue
            for slot in range(block * BLOCK, min(SLOTS, (block + 1) * BLOCK)):
                count = self.counts[slot]
                if count and seen + count >= half:
                    if slot == 0:
                        return 0.0
                    if slot == SLOTS - 1:
                        return HIGH
                    inside = (half - seen) / count
                    return math.exp(_LOG_LOW + (slot - 1 + inside) * _STEP)
                seen += count
        return 0.0


@dataclass(frozen=True, slots=True)
class Standing:
    """An account's rank among the accounts of `segment` (ALL: all accounts) that have
    the factor; the median is read from `sketch` only when a driver is worded."""

    rank: float
    sketch: Sketch
    segment: str

    @property
    def median(self) -> float:
        return self.sketch.median()

    @property
    def accounts(self) -> int:
        return self.sketch.total

    @property
    def among(self) -> str:
        return "the median account in its segment" if self.segment else "the median account"


# An account's contribution: its segment and, per factor, the bin of its measure.
Contribution = tuple[str, tuple[tuple[str, int], ...]]


class Population:
    """Every account's latest factor measures, as histograms per segment and factor."""

    def __init__(self) -> None:
        self._sketches: dict[str, dict[str, Sketch]] = {ALL: {}}
        self._accounts: dict[str, Contribution] = {}

    def __len__(self) -> int:
        return len(self._accounts)

    def __contains__(self, account_id: object) -> bool:
        return account_id in self._accounts

    def contribution(self, segment: str | None, measures: Mapping[str, float]) -> Contribution:
        """What an account with these measures adds (factors in a fixed order)."""
        return (segment or ALL, tuple(sorted((f, bin_of(m)) for f, m in measures.items())))

    def update(self, account_id: str, segment: str | None, measures: Mapping[str, float]) -> bool:
        """Replace the account's contribution; whether any bin or its segment changed."""
        return self.put(account_id, self.contribution(segment, measures))

    def put(self, account_id: str, contribution: Contribution) -> bool:
        before = self._accounts.get(account_id)
        if before == contribution:
            return False
        if before is not None:
            self._count(before, -1)
        self._accounts[account_id] = contribution
        self._count(contribution, 1)
        return True

    def remove(self, account_id: str) -> None:
        before = self._accounts.pop(account_id, None)
        if before is not None:
            self._count(before, -1)

    def _count(self, contribution: Contribution, sign: int) -> None:
        segment, bins = contribution
        targets = [self._sketches[ALL]]
        if segment != ALL:
            own = self._sketches.get(segment)
            if own is None and len(self._sketches) <= MAX_SEGMENTS:
                own = self._sketches[segment] = {}
            if own is not None:
                targets.append(own)
        for sketches in targets:
            for factor, slot in bins:
                sketch = sketches.get(factor)
                if sketch is None:
                    sketch = sketches[factor] = Sketch()
                sketch.add(slot, sign)

    def sketch(self, segment: str | None, factor: str) -> Sketch | None:
        return self._sketches.get(segment or ALL, {}).get(factor)

    def standing(
        self, segment: str | None, factor: str, measure: float, min_accounts: int
    ) -> Standing | None:
        """The measure's rank in the segment if it has `min_accounts` with this factor,
        else among all accounts if they do; None when neither has enough."""
        for where in (segment or ALL, ALL):
            sketch = self._sketches.get(where, {}).get(factor)
            if sketch is not None and sketch.total >= min_accounts:
                return Standing(sketch.rank(measure), sketch, where)
        return None

    def segments(self) -> list[str]:
        return sorted(s for s in self._sketches if s != ALL)
