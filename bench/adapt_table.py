"""How the default model and its baselines fare on products of very different shape.

On demand, not in CI:

    .venv/bin/python -m bench.adapt_table                       # all profiles, 300 x 400 days
    .venv/bin/python -m bench.adapt_table --profiles sparse,features --accounts 200

For each profile (streams/demo/profiles.py) it writes the demo company's
history (seeded, ending on a fixed day) to a temporary directory, runs
`healthscore backtest` at 30, 60 and 90 days, and reports progress on stderr.
At the end it prints a markdown table — per profile and horizon, the AUC and
95 % interval of the default model, days since the last login, mean NPS (where
the product has surveys) and the logistic regression fitted out of time, with
the model's AUC on the regression's own samples and the 95 % interval of the
difference between the two — and writes every figure
(without the per-sample rows) to bench/results/adapt-<time>.json.

A second table is the learned model's (`healthscore fit`, streams/fit/),
out of time: per profile, the model is fitted on the outcomes before the cut
(`--holdout`, by default the latest 30 % held out), written and loaded as a
model file, and the history backtested with it; on the later outcomes (the
default model's compared samples with enough data) it gives the AUC of the
fitted model, the default model, days since the last login, and the
backtest's logistic regression fitted on the same earlier outcomes of that
horizon. `--no-fit` leaves it out.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson

from models.backtest.metrics import auc
from models.model_config import HealthModel, load_model
from streams.backtest import run_backtest
from streams.backtest.document import result_json
from streams.backtest.evaluate import Horizon, Predictor
from streams.backtest.logistic import Inputs, fit_predict
from streams.backtest.run import BacktestResult
from streams.backtest.samples import BacktestOptions, Sample
from streams.demo.history import write_history
from streams.demo.profiles import PROFILES
from streams.fit.fitter import FitOptions, fit_history
from streams.fit.output import write_model

RESULTS = Path(__file__).parent / "results"
END = date(2026, 1, 31)


def _auc(p: Predictor | None) -> str:
    if p is None or p.ranking.auc is None:
        return "-"
    if p.auc_interval is None:
        return f"{p.ranking.auc:.2f}"
    low, high = p.auc_interval
    return f"{p.ranking.auc:.2f} ({low:.2f}-{high:.2f})"


def _row(profile: str, h: Horizon, has_nps: bool) -> str:
    oot = h.out_of_time
    learned = oot.predictors.get("logistic_regression")
    same = oot.predictors.get("health_score")
    cells = [
        profile,
        str(h.days),
        f"{h.scored} ({sum(1 for s in h.samples if s.churned and s.enough_data)})",
        str(h.too_little.n),
        _auc(h.predictors["health_score"]),
        _auc(h.predictors["days_since_login"]),
        _auc(h.predictors["nps"]) if has_nps else "no surveys",
        f"{_auc(learned)} n={learned.n}" if learned else f"- ({oot.skipped})",
        _auc(same) if same else "-",
        f"{oot.difference[0]:+.2f} to {oot.difference[1]:+.2f}" if oot.difference else "-",
    ]
    return "| " + " | ".join(cells) + " |"


HEADER = (
    "| profile | days | ranked (churned) | too little data | health score | "
    "days since login | mean NPS | logistic, out of time | health score, same samples | "
    "score minus logistic, 95 % |\n"
    "|---|---:|---:|---:|---|---|---|---|---|---|"
)


FIT_HEADER = (
    "| profile | days | later outcomes (churned) | fitted model | default model | "
    "days since login | logistic, same cut | fitted - logistic | fitted - days since login |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def _inputs(sample: Sample) -> Inputs:
    return Inputs(sample.behaviour, sample.features_used)


def _fit_rows(
    profile: str, default: BacktestResult, fitted: BacktestResult, cut: datetime
) -> tuple[list[str], list[dict[str, Any]]]:
    """Per horizon: the fitted model against the default and the baselines on the later outcomes."""
    rows, figures = [], []
    for h, f in zip(default.horizons, fitted.horizons, strict=True):
        fitted_score = {(s.account_id, s.contract_id): s.score for s in f.samples}
        compared = [s for s in h.samples if s.churned is not None and s.enough_data]
        earlier = [s for s in compared if s.outcome_at < cut]
        later = [s for s in compared if s.outcome_at >= cut]
        labels = [s.churned is True for s in later]
        risks = fit_predict(
            [_inputs(s) for s in earlier],
            [s.churned is True for s in earlier],
            [_inputs(s) for s in later],
        ).risks
        aucs = {
            "fitted": auc(
                [
                    (100 - fitted_score[(s.account_id, s.contract_id)], c)
                    for s, c in zip(later, labels, strict=True)
                ]
            ),
            "default": auc([(100 - s.score, c) for s, c in zip(later, labels, strict=True)]),
            "days_since_login": auc(
                [(s.days_since_login, c) for s, c in zip(later, labels, strict=True)]
            ),
            "logistic": auc(list(zip(risks, labels, strict=True))),
        }
        figures.append({"days": h.days, "n": len(later), "churned": sum(labels), "auc": aucs})

        def show(value: float | None) -> str:
            return "-" if value is None else f"{value:.2f}"

        def gap(a: float | None, b: float | None) -> str:
            return "-" if a is None or b is None else f"{a - b:+.2f}"

        cells = [
            profile,
            str(h.days),
            f"{len(later)} ({sum(labels)})",
            *(show(aucs[k]) for k in ("fitted", "default", "days_since_login", "logistic")),
            gap(aucs["fitted"], aucs["logistic"]),
            gap(aucs["fitted"], aucs["days_since_login"]),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return rows, figures


def _fit_and_backtest(
    history: Path, model: HealthModel, options: BacktestOptions, holdout: float, scratch: Path
) -> tuple[BacktestResult, datetime, str]:
    """Fit on the earlier outcomes, write the model file, backtest the history with it."""
    found = fit_history(history, model, FitOptions(holdout=holdout), progress=sys.stderr)
    assert found.cut is not None
    path = scratch / "fitted.yaml"
    write_model(found, path)
    fitted = load_model(str(path))
    return run_backtest(history, fitted, options, progress=sys.stderr), found.cut, fitted.version


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(
    profiles: list[str],
    accounts: int,
    days: int,
    seed: int,
    resamples: int,
    holdout: float | None = 0.3,
) -> int:
    started = time.monotonic()
    model = load_model()
    options = BacktestOptions(days=(30, 60, 90), resamples=resamples)
    rows: list[str] = []
    fit_rows: list[str] = []
    document: dict[str, Any] = {
        "accounts": accounts,
        "days": days,
        "seed": seed,
        "end": END.isoformat(),
        "profiles": {},
    }
    with tempfile.TemporaryDirectory(prefix="adapt-") as scratch:
        for index, name in enumerate(profiles, 1):
            history = Path(scratch) / f"{name}.jsonl"
            _progress(f"[{index}/{len(profiles)}] {name}: writing {accounts} accounts x {days} d")
            clock = time.monotonic()
            summary = write_history(
                history, accounts, days, END, seed, progress=sys.stderr, profile=PROFILES[name]
            )
            written = time.monotonic() - clock
            events = sum(summary.events.values())
            _progress(f"[{index}/{len(profiles)}] {name}: {events:,} events in {written:.0f} s")
            clock = time.monotonic()
            result = run_backtest(history, model, options, progress=sys.stderr)
            replayed = time.monotonic() - clock
            _progress(f"[{index}/{len(profiles)}] {name}: backtest in {replayed:.0f} s")
            fit_figures: dict[str, Any] = {}
            if holdout is not None:
                clock = time.monotonic()
                fitted, cut, version = _fit_and_backtest(
                    history, model, options, holdout, Path(scratch)
                )
                found_rows, found = _fit_rows(name, result, fitted, cut)
                fit_rows += found_rows
                fit_figures = {"cut": cut.isoformat(), "version": version, "horizons": found}
                took = time.monotonic() - clock
                _progress(f"[{index}/{len(profiles)}] {name}: fit and backtest in {took:.0f} s")
            history.unlink()
            has_nps = summary.events["nps"] > 0
            rows += [_row(name, h, has_nps) for h in result.horizons]
            figures = result_json(result)
            figures.pop("samples")
            document["profiles"][name] = {
                "events": dict(summary.events),
                "outcomes": dict(summary.outcomes),
                "seconds_to_write": round(written, 1),
                "seconds_to_backtest": round(replayed, 1),
                "backtest": figures,
                "fitted": fit_figures,
            }
    elapsed = time.monotonic() - started
    document["seconds"] = round(elapsed, 1)
    print(HEADER)
    print("\n".join(rows))
    if fit_rows:
        print(f"\nFitted model, out of time (latest {holdout:.0%} of outcomes held out):\n")
        print(FIT_HEADER)
        print("\n".join(fit_rows))
    print(f"\n{len(profiles)} profiles in {elapsed / 60:.1f} min")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"adapt-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    print(f"wrote {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", default=",".join(PROFILES), help="comma-separated")
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--days", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument(
        "--holdout", type=float, default=0.3, help="share of the latest outcomes held out"
    )
    parser.add_argument("--no-fit", action="store_true", help="leave out the fitted model")
    args = parser.parse_args(argv)
    profiles = [p for p in args.profiles.split(",") if p]
    unknown = [p for p in profiles if p not in PROFILES]
    if unknown:
        parser.error(f"unknown profile(s) {', '.join(unknown)}; known: {', '.join(PROFILES)}")
    holdout = None if args.no_fit else args.holdout
    return run(profiles, args.accounts, args.days, args.seed, args.resamples, holdout)


if __name__ == "__main__":
    sys.exit(main())
