"""`fit_history`: sample the history, cut it in time, learn on the past, test on the future.

1. Replay the history with the base model (streams/fit/sampling.py) and keep
   the compared samples with enough data, as the backtest ranks them.
2. Cut (streams/fit/split.py): learn the model (streams/fit/model.py) on
   the samples whose outcome happened before the cut.
3. Validate on the samples whose outcome is at or after the cut, per horizon:
   AUC of the learned model, of the base model, of days since the last login,
   and of the backtest's logistic regression trained on the same earlier
   samples of that horizon; and the bands' precision and recall.
4. The model written is the one validated, learned on the outcomes before the
   cut; with `refit_all` it is learned again on every outcome, and the figures
   then describe how well the procedure did, not that exact model.
5. Its renewals section gets the churn per band it shows (streams/fit/calibration.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

from models.backtest.metrics import auc
from models.model_config import HealthModel
from models.renewals.settings import ChurnCalibration
from streams.backtest.logistic import Inputs, fit_predict
from streams.backtest.samples import BacktestOptions
from streams.fit.bands import Edge, measure
from streams.fit.calibration import calibrate, calibration_days, with_calibration
from streams.fit.exceptions import FitError
from streams.fit.learn import require_sklearn
from streams.fit.model import Learned, Targets, learn_model
from streams.fit.rescore import rescore
from streams.fit.sampling import Collected, FitSample, collect
from streams.fit.split import Holdout, cut_of, train_test


@dataclass(frozen=True, slots=True)
class FitOptions:
    # Horizons, contracted, min history and confidence: as the backtest samples.
    sampling: BacktestOptions = field(default_factory=BacktestOptions)
    holdout: Holdout = 0.3
    refit_all: bool = False
    targets: Targets = field(default_factory=Targets)


@dataclass(frozen=True, slots=True)
class Check:
    """One horizon on the held-out samples."""

    days: int
    samples: int
    churned: int
    aucs: dict[str, float | None]  # fitted, base, days_since_login, logistic_regression
    edges: tuple[Edge, Edge]  # the learned bands' precision and recall on these samples


@dataclass(slots=True)
class FitResult:
    history: str
    base_version: str
    options: FitOptions
    collected: Collected
    cut: datetime | None
    train: int  # training samples (all horizons)
    test: int
    validated: Learned
    written: Learned
    checks: list[Check] = field(default_factory=list)
    # The churn per band of the model written, for its renewals section (None: no samples).
    calibration: ChurnCalibration | None = None

    @property
    def model(self) -> HealthModel:
        """The model written: the one learned, with the churn calibration measured on it."""
        if self.calibration is None:
            return self.written.model
        return with_calibration(self.written.model, self.calibration)


def _compared(samples: Sequence[FitSample]) -> list[FitSample]:
    return [s for s in samples if s.churned is not None and s.enough_data]


def _aucs(
    model: HealthModel, train: Sequence[FitSample], test: Sequence[FitSample]
) -> dict[str, float | None]:
    labels = [s.churned is True for s in test]
    found = {
        "fitted": auc([(100 - rescore(s, model)[0], c) for s, c in zip(test, labels, strict=True)]),
        "base": auc([(100 - s.base_score, c) for s, c in zip(test, labels, strict=True)]),
        "days_since_login": auc(
            [(s.days_since_login, c) for s, c in zip(test, labels, strict=True)]
        ),
        "logistic_regression": None,
    }
    train_labels = [s.churned is True for s in train]
    if test and 0 < sum(train_labels) < len(train_labels):
        fitted = fit_predict(
            [Inputs(s.behaviour, sorted(s.features_baseline)) for s in train],
            train_labels,
            [Inputs(s.behaviour, sorted(s.features_baseline)) for s in test],
        )
        found["logistic_regression"] = auc(list(zip(fitted.risks, labels, strict=True)))
    return {k: round(v, 3) if v is not None else None for k, v in found.items()}


def check(
    learned: Learned, train: Sequence[FitSample], test: Sequence[FitSample], days: int
) -> Check:
    """The learned model against the baselines on one horizon's held-out samples."""
    train_h = [s for s in train if s.days == days]
    test_h = [s for s in test if s.days == days]
    scored = [(rescore(s, learned.model)[0], s.churned is True) for s in test_h]
    low, high = learned.edges
    return Check(
        days=days,
        samples=len(test_h),
        churned=sum(1 for _, c in scored if c),
        aucs=_aucs(learned.model, train_h, test_h),
        edges=(measure(scored, low.edge, low.target), measure(scored, high.edge, high.target)),
    )


def fit_history(
    path: Path,
    base: HealthModel,
    options: FitOptions,
    progress: TextIO | None = None,
) -> FitResult:
    """Learn a model from the history at `path` (see the module docstring)."""
    require_sklearn()
    if not path.is_file():
        raise FitError(f"no history file at {path}")
    say: Callable[[str], None] = (
        (lambda text: print(f"fit: {text}", file=progress, flush=True))
        if progress is not None
        else (lambda text: None)
    )
    say(f"replaying {path} with model {base.version}")
    collected = collect(path, base, options.sampling, progress)
    compared = _compared(collected.samples)
    if not compared:
        raise FitError(
            f"{path}: no renewal outcome (churned, renewed or expanded) with enough data at "
            f"least {options.sampling.min_history_days + max(options.sampling.days)} days "
            f"into the history ({collected.outcomes} outcomes in all)"
        )
    if len({s.churned for s in compared}) < 2:
        only = "churned" if compared[0].churned else "were retained"
        raise FitError(f"{path}: every compared outcome {only}; both classes are needed")
    cut = cut_of(compared, options.holdout)
    train, test = train_test(compared, cut)
    if cut is not None and not test:
        raise FitError(f"no snapshot at or after the cut {cut:%Y-%m-%d} to validate on")
    say(f"learning from {len(train)} samples" + (f" before {cut:%Y-%m-%d}" if cut else ""))
    validated = learn_model(train, base, options.targets)
    checks = [check(validated, train, test, days) for days in options.sampling.days] if test else []
    written = validated
    days = calibration_days(options.sampling.days)
    if options.refit_all and cut is not None:
        say(f"learning again from all {len(compared)} samples")
        written = learn_model(compared, base, options.targets)
        calibration = calibrate(
            written.model, compared, days, f"healthscore fit of {path.name}, all outcomes"
        )
    elif cut is not None:
        held_out = f"outcomes from {cut:%Y-%m-%d} (held out)"
        calibration = calibrate(
            written.model, test, days, f"healthscore fit of {path.name}, {held_out}"
        )
    else:
        calibration = calibrate(
            written.model, train, days, f"healthscore fit of {path.name}, the training outcomes"
        )
    return FitResult(
        history=str(path),
        base_version=base.version,
        options=options,
        collected=collected,
        cut=cut,
        train=len(train),
        test=len(test),
        validated=validated,
        written=written,
        checks=checks,
        calibration=calibration,
    )
