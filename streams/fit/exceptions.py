"""Why `healthscore fit` could not learn a model.

HealthscoreError (models.exceptions)
└── FitError           the history cannot teach a model (no outcomes, one class, …)
MissingExtraError (streams.backtest.logistic): scikit-learn is not installed.
"""

from __future__ import annotations

from models.exceptions import HealthscoreError


class FitError(HealthscoreError):
    """The history cannot teach a model; the message says why and what to do."""
