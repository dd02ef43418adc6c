"""The backtest as one JSON document (`healthscore backtest --json FILE`): all figures, samples."""

from __future__ import annotations

import statistics
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson

from models.backtest.calibration import Bin
from streams.backtest.evaluate import Horizon, OutOfTime, Predictor
from streams.backtest.run import BacktestResult
from streams.backtest.samples import Sample

OUTCOMES = ("churned", "contracted", "renewed", "expanded")

DEFINITIONS = {
    "positive_class": "churned",
    "risk": "each predictor is ranked as a risk, higher = more likely to churn",
    "auc_interval": "95 % percentile bootstrap interval over the samples (paired, seeded)",
    "precision_at_k": "share of churners among the k riskiest; k defaults to the churners",
    "lift": "precision@k / base churn rate",
    "too_little_data": "confidence (share of the model's weight with data) below "
    "min_confidence (by default the model's alerts.min_confidence): counted apart, not ranked",
    "components_and_factors": "100 - the component's or factor's own 0-100 value, over the "
    "samples where it had data (n)",
    "roles": "each role's standard NPS (100 x (promoters - detractors) / answers of its "
    "respondents' latest answers in the sentiment window), negated, over the samples with "
    "an answer from the role (n); `all`: every answer, whatever the role",
    "logistic_regression": "behavioural counts + per-feature use in the last 30 days, refitted "
    "every refit_days on outcomes known before the fold's first snapshot; its figures and "
    "the others' under out_of_time are on the samples it could predict",
    "calibration": "observed churn rate per band and per score decile (lowest scores first)",
}


def _predictor(p: Predictor) -> dict[str, Any]:
    r = p.ranking
    return {
        "n": p.n,
        "churned": p.churned,
        "auc": r.auc,
        "auc_95": list(p.auc_interval) if p.auc_interval else None,
        "precision_at_k": r.precision_at_k,
        "k": r.k,
        "lift": r.lift,
    }


def _bin(b: Bin) -> dict[str, Any]:
    return {
        "label": b.label,
        "n": b.n,
        "churned": b.churned,
        "rate": b.rate,
        "low": b.low,
        "high": b.high,
    }


def score_summary(samples: list[Sample], status: str) -> dict[str, Any]:
    values = [s.score for s in samples if s.status == status]
    if not values:
        return {"n": 0}
    quartiles = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return {
        "n": len(values),
        "mean": round(statistics.fmean(values), 2),
        "q1": round(quartiles[0], 2),
        "median": round(quartiles[1], 2),
        "q3": round(quartiles[2], 2),
    }


def _out_of_time(o: OutOfTime) -> dict[str, Any]:
    return {
        "skipped": o.skipped,
        "folds": o.folds,
        "trained_on_last_fold": o.trained_on,
        "predictors": {name: _predictor(p) for name, p in o.predictors.items()},
        "health_minus_logistic_auc_95": list(o.difference) if o.difference else None,
        "coefficients_last_fold": o.coefficients,
    }


def _horizon(h: Horizon) -> dict[str, Any]:
    return {
        "days": h.days,
        "samples": len(h.samples),
        "compared": h.compared,
        "scored": h.scored,
        "churned": sum(1 for s in h.samples if s.churned and s.enough_data),
        "base_rate": h.base_rate,
        "too_little_data": asdict(h.too_little),
        "predictors": {name: _predictor(p) for name, p in h.predictors.items()},
        "components": {name: _predictor(p) for name, p in h.components.items()},
        "factors": {name: _predictor(p) for name, p in h.factors.items()},
        "roles": {name: _predictor(p) for name, p in h.roles.items()},
        "out_of_time": _out_of_time(h.out_of_time),
        "calibration": {
            "by_band": [_bin(b) for b in h.bands],
            "by_decile": [_bin(b) for b in h.deciles],
        },
        "imputed": h.imputed,
        "score_by_outcome": {status: score_summary(h.samples, status) for status in OUTCOMES},
    }


def result_json(result: BacktestResult) -> dict[str, Any]:
    """Everything the run found, with every sample, as plain JSON data."""
    options = result.options
    return {
        "history": result.history,
        "model_version": result.model_version,
        "options": {**asdict(options), "days": list(options.days)},
        "definitions": DEFINITIONS,
        "events": {"lines": result.lines, "invalid": result.invalid},
        "accounts": result.accounts,
        "first_event_at": result.first_at,
        "last_event_at": result.last_at,
        "outcomes": dict(sorted(result.outcomes.items())),
        "outcomes_evaluated": result.evaluated,
        "horizons": [_horizon(h) for h in result.horizons],
        "samples": [s for h in result.horizons for s in h.samples],
        "seconds": round(result.seconds, 2),
    }


def write_json(result: BacktestResult, path: Path) -> None:
    # orjson writes the Sample dataclasses and datetimes (RFC 3339) natively.
    path.write_bytes(orjson.dumps(result_json(result), option=orjson.OPT_INDENT_2))
