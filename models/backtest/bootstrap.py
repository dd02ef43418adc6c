"""How sure is an AUC? Bootstrap intervals over the samples (pure, seeded, deterministic).

A bootstrap resample draws n samples with replacement from the n samples of
one horizon; every predictor is scored on the same resamples (a *paired*
bootstrap), so the interval of a difference between two predictors is read
off the same draws. The 95 % interval is the 2.5th to 97.5th percentile of
the resampled AUCs (resamples lacking a churner or a retained account are
skipped). The same seed and samples always give the same interval.

A resample is held as how many times each sample was drawn (a row of
multinomial counts), so a predictor's AUC on it is one weighted pass over its
samples sorted once by risk:

    AUC = Σ_g P_g · (N_<g + N_g / 2) / (P · N)

over groups g of tied risk, with P_g, N_g the drawn churners and retained
accounts in g and N_<g the retained accounts drawn at lower risk.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
LEVEL = 0.95
_CHUNK = 250  # resamples scored at once: bounds memory on large histories


class PairedBootstrap:
    """`resamples` draws over the samples of one horizon, shared by every predictor."""

    def __init__(self, churned: Sequence[bool], resamples: int = 1000, seed: int = 0) -> None:
        n = len(churned)
        self.churned = np.asarray(churned, dtype=bool)
        rng = np.random.default_rng(seed)
        shape = (resamples, n)
        self.counts = (
            rng.multinomial(n, np.full(n, 1 / n), size=resamples).astype(np.int32)
            if n
            else np.zeros(shape, dtype=np.int32)
        )

    def aucs(self, risks: Sequence[float | None]) -> Floats:
        """The AUC on every resample (NaN where undefined) of a predictor's risks.

        A None risk (no value for that sample) leaves the sample out, draws and all.
        """
        present = np.array([r is not None for r in risks], dtype=bool)
        values = np.array([r if r is not None else 0.0 for r in risks], dtype=np.float64)[present]
        order = np.argsort(values, kind="stable")
        ordered = values[order]
        churned = self.churned[present][order]
        result = np.full(len(self.counts), np.nan)
        if len(ordered) == 0:
            return result
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        for first in range(0, len(self.counts), _CHUNK):
            drawn = self.counts[first : first + _CHUNK][:, present][:, order].astype(np.float64)
            positives = np.add.reduceat(drawn * churned, starts, axis=1)
            negatives = np.add.reduceat(drawn * ~churned, starts, axis=1)
            below = np.cumsum(negatives, axis=1) - negatives
            wins = (positives * (below + negatives / 2)).sum(axis=1)
            pairs = positives.sum(axis=1) * negatives.sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                result[first : first + _CHUNK] = np.where(pairs > 0, wins / pairs, np.nan)
        return result


def interval(values: Floats, level: float = LEVEL) -> tuple[float, float] | None:
    """The central `level` percentile interval of the finite values; None if most are undefined."""
    finite = values[np.isfinite(values)]
    if len(finite) == 0 or len(finite) < len(values) / 2:
        return None
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def auc_interval(
    samples: Sequence[tuple[float, bool]], resamples: int = 1000, seed: int = 0
) -> tuple[float, float] | None:
    """The 95 % bootstrap interval of one predictor's AUC over (risk, churned) samples."""
    boot = PairedBootstrap([churned for _, churned in samples], resamples, seed)
    return interval(boot.aucs([risk for risk, _ in samples]))
