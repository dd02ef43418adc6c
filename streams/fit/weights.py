"""Factor and component weights: a non-negative logistic regression on the learned curves.

Every factor with a learned curve gives each training sample a value 0-100
(its curve at the sample's measure, or its percentile curve at its rank); a
factor without data in a sample gets the training mean of its values (the
score re-weights instead; the mean is the neutral guess). The values / 100 go
into an L2-regularised logistic regression of churn (scikit-learn, C =
`c`). A curve is built so that a higher value means less churn, so each
coefficient should be negative; a factor whose coefficient comes out
positive (against its curve, e.g. because another factor already says it)
is dropped and the rest refitted, until none is.

The weights are the coefficients' sizes: with w_f = -coefficient,

    component weight = Σ w_f over its factors,   factor weight ∝ w_f inside it,

so the score, Σ_c W_c · (Σ_f w_f v_f / W_c) / Σ_c W_c = Σ_f w_f v_f / Σ_f w_f,
is the regression's linear predictor rescaled to 0-100 (when every factor has
data): the score ranks accounts as the regression does and stays a weighted
mean whose drivers add up to score - neutral.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

from streams.fit.learn import logistic


def learn_weights(
    values: Sequence[Mapping[str, float]], churned: Sequence[bool], c: float = 1.0
) -> dict[str, float]:
    """Each factor's weight (>= 0) from its values per sample (absent = no data)."""
    names = sorted({name for row in values for name in row})
    means = {name: statistics.fmean(row[name] for row in values if name in row) for name in names}
    kept = list(names)
    while kept:
        rows = [[row.get(name, means[name]) / 100 for name in kept] for row in values]
        fitted = logistic(rows, churned, c)
        coefficients = dict(zip(kept, (float(w) for w in fitted.coef_[0]), strict=True))
        against = [name for name, w in coefficients.items() if w >= 0]
        if not against:
            return {name: -coefficients.get(name, 0.0) if name in kept else 0.0 for name in names}
        kept = [name for name in kept if name not in against]
    return dict.fromkeys(names, 0.0)
