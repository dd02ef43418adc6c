"""scikit-learn, imported only here and only when something is fitted.

scikit-learn is the optional extra `fit` (`pip install 'healthscore[fit]'`);
without it every function here raises `MissingExtraError` saying how to
install it. The worker never imports this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from streams.backtest.logistic import INSTALL_HINT, MissingExtraError

MISSING = f"healthscore fit needs scikit-learn: {INSTALL_HINT}"


def require_sklearn() -> None:
    """Raise MissingExtraError now, before a long replay, if scikit-learn is missing."""
    try:
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise MissingExtraError(MISSING) from exc


def isotonic(xs: Sequence[float], ys: Sequence[float], increasing: bool | str) -> Any:
    """An isotonic regression of ys on xs (`increasing`: True, False or "auto"), fitted."""
    try:
        from sklearn.isotonic import IsotonicRegression
    except ImportError as exc:
        raise MissingExtraError(MISSING) from exc
    model = IsotonicRegression(increasing=increasing, out_of_bounds="clip", y_min=0.0, y_max=1.0)
    return model.fit(list(xs), list(ys))


def logistic(
    rows: Sequence[Sequence[float]], labels: Sequence[bool], c: float, l1: bool = False
) -> Any:
    """A regularised logistic regression of labels (True = churned) on rows, fitted."""
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError as exc:
        raise MissingExtraError(MISSING) from exc
    if l1:
        model = LogisticRegression(C=c, l1_ratio=1.0, solver="liblinear", max_iter=5000)
    else:
        model = LogisticRegression(C=c, max_iter=5000)
    return model.fit([list(r) for r in rows], [int(label) for label in labels])
