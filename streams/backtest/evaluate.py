"""One horizon's figures: every predictor's ranking with a 95 % interval, calibration, the bar.

Which samples: the *compared* ones (churned, or renewed/expanded, and
contracted as `--contracted` says) that have enough data (see
streams/backtest/samples.py); those with too little are counted apart.

Predictors, as risks (higher = more likely to churn):

- health_score: 100 - score.
- days_since_login: days since anyone logged in (no login yet: since the history began).
- nps: mean NPS negated; a sample without an answer in the window gets the
  median of the others (how many is in `imputed`).
- component.NAME / factor.COMPONENT.FACTOR: 100 - that component's or factor's
  own value, over the samples where it had data (its `n`).
- role NAME: that role's standard NPS negated (its respondents' latest answers
  in the sentiment window), over the samples with an answer from the role;
  `all` over every answer: whose experience predicts churn.
- logistic_regression: out of time (streams/backtest/logistic.py), on the
  samples some fold could predict; `out_of_time` reports the other predictors
  on exactly those samples too, and the interval of AUC(health score) -
  AUC(logistic regression) from the same (paired) resamples.

Each AUC comes with its 95 % bootstrap interval (models/backtest/bootstrap.py).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from models.backtest.bootstrap import PairedBootstrap, interval
from models.backtest.calibration import Bin, by_band, by_decile
from models.backtest.metrics import Ranking, ranking
from models.backtest.split import walk_forward
from models.experience.counts import PERSONAS
from models.experience.figures import ALL_RESPONDENTS
from models.health import Band
from streams.backtest.logistic import Fitted, Inputs, MissingExtraError, fit_predict
from streams.backtest.samples import BacktestOptions, Sample

BANDS = (Band.CRITICAL.value, Band.AT_RISK.value, Band.HEALTHY.value)
ROLE_ORDER = (ALL_RESPONDENTS, *(str(persona) for persona in PERSONAS))
Risk = Callable[[Sample], float | None]
Fit = Callable[[Sequence[Inputs], Sequence[bool], Sequence[Inputs]], Fitted]


@dataclass(frozen=True, slots=True)
class Predictor:
    n: int  # samples it ranked
    churned: int
    ranking: Ranking
    auc_interval: tuple[float, float] | None


@dataclass(frozen=True, slots=True)
class Apart:
    """Compared samples with too little data: counted, not ranked."""

    n: int
    churned: int
    mean_score: float | None


@dataclass(slots=True)
class OutOfTime:
    skipped: str | None = None  # why the learned baseline has no figures
    folds: int = 0
    trained_on: int = 0  # samples the last fold learned from
    predictors: dict[str, Predictor] = field(default_factory=dict)
    # 95 % interval of AUC(health score) - AUC(logistic regression), paired.
    difference: tuple[float, float] | None = None
    coefficients: dict[str, float] = field(default_factory=dict)  # the last fold's


@dataclass(slots=True)
class Horizon:
    days: int
    samples: list[Sample]  # every evaluated outcome, compared or not
    compared: int
    scored: int  # compared with enough data: what every figure below ranks
    base_rate: float | None
    too_little: Apart
    predictors: dict[str, Predictor]  # health_score and the baselines
    components: dict[str, Predictor]
    factors: dict[str, Predictor]
    roles: dict[str, Predictor]  # "all", then each role with answers, in PERSONAS order
    bands: list[Bin]
    deciles: list[Bin]
    out_of_time: OutOfTime
    imputed: dict[str, int]


def _predictor(
    boot: PairedBootstrap, samples: Sequence[Sample], risks: Sequence[float | None], k: int | None
) -> Predictor:
    pairs = [(r, s.churned is True) for r, s in zip(risks, samples, strict=True) if r is not None]
    return Predictor(
        n=len(pairs),
        churned=sum(1 for _, churned in pairs if churned),
        ranking=ranking(pairs, k),
        auc_interval=interval(boot.aucs(risks)),
    )


def _baselines(samples: Sequence[Sample]) -> dict[str, Risk]:
    known = [s.nps for s in samples if s.nps is not None]
    fill = statistics.median(known) if known else 0.0
    return {
        "health_score": lambda s: 100.0 - s.score,
        "days_since_login": lambda s: s.days_since_login,
        "nps": lambda s: -(s.nps if s.nps is not None else fill),
    }


def _inverse(value: float | None) -> float | None:
    return None if value is None else 100.0 - value


def _negated(value: float | None) -> float | None:
    return None if value is None else -value


def evaluate(days: int, samples: list[Sample], options: BacktestOptions) -> Horizon:
    compared = [s for s in samples if s.churned is not None]
    scored = [s for s in compared if s.enough_data]
    apart = [s for s in compared if not s.enough_data]
    boot = PairedBootstrap([s.churned is True for s in scored], options.resamples, options.seed)
    k = options.k
    predictors = {
        name: _predictor(boot, scored, [risk(s) for s in scored], k)
        for name, risk in _baselines(scored).items()
    }
    component_names = sorted({name for s in scored for name in s.components})
    answered = {name for s in scored for name in s.role_nps}
    role_names = [name for name in ROLE_ORDER if name in answered]
    factor_names = sorted({name for s in scored for name in s.factors})
    churners = sum(1 for s in scored if s.churned)
    return Horizon(
        days=days,
        samples=samples,
        compared=len(compared),
        scored=len(scored),
        base_rate=churners / len(scored) if scored else None,
        too_little=Apart(
            n=len(apart),
            churned=sum(1 for s in apart if s.churned),
            mean_score=round(statistics.fmean(s.score for s in apart), 2) if apart else None,
        ),
        predictors=predictors,
        components={
            name: _predictor(boot, scored, [_inverse(s.components.get(name)) for s in scored], k)
            for name in component_names
        },
        factors={
            name: _predictor(boot, scored, [_inverse(s.factors.get(name)) for s in scored], k)
            for name in factor_names
        },
        roles={
            name: _predictor(boot, scored, [_negated(s.role_nps.get(name)) for s in scored], k)
            for name in role_names
        },
        bands=by_band([(s.band, s.score, s.churned is True) for s in scored], BANDS),
        deciles=by_decile([(s.score, s.churned is True) for s in scored]),
        out_of_time=out_of_time(scored, options),
        imputed={
            "days_since_login": sum(1 for s in scored if not s.ever_logged_in),
            "nps": sum(1 for s in scored if s.nps is None),
        },
    )


def _inputs(sample: Sample) -> Inputs:
    return Inputs(sample.behaviour, sample.features_used)


def out_of_time(
    scored: Sequence[Sample], options: BacktestOptions, fit: Fit = fit_predict
) -> OutOfTime:
    """The logistic regression, refitted every `refit_days` on outcomes already known."""
    folds = walk_forward(
        [s.snapshot_at for s in scored],
        [s.outcome_at for s in scored],
        [s.churned is True for s in scored],
        every_days=options.refit_days,
    )
    if not folds:
        return OutOfTime(skipped="too few outcomes precede the later snapshots to learn from")
    predicted: dict[int, float] = {}
    try:
        for fold in folds:
            fitted = fit(
                [_inputs(scored[i]) for i in fold.train],
                [scored[i].churned is True for i in fold.train],
                [_inputs(scored[i]) for i in fold.test],
            )
            predicted.update(zip(fold.test, fitted.risks, strict=True))
    except MissingExtraError as exc:
        return OutOfTime(skipped=str(exc))
    tested = [scored[i] for i in sorted(predicted)]
    risks = {name: [risk(s) for s in tested] for name, risk in _baselines(tested).items()}
    risks["logistic_regression"] = [predicted[i] for i in sorted(predicted)]
    boot = PairedBootstrap([s.churned is True for s in tested], options.resamples, options.seed)
    difference = boot.aucs(risks["health_score"]) - boot.aucs(risks["logistic_regression"])
    return OutOfTime(
        folds=len(folds),
        trained_on=len(folds[-1].train),
        predictors={
            name: _predictor(boot, tested, values, options.k) for name, values in risks.items()
        },
        difference=interval(difference),
        coefficients=fitted.coefficients,
    )
