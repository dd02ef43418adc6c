"""How the default model and its baselines fare on products of very different shape.

On demand, not in CI:

    .venv/bin/python -m bench.adapt_table                       # all profiles, 300 x 400 days
    .venv/bin/python -m bench.adapt_table --profiles sparse,features --accounts 200

For each profile (streams/demo_profiles.py) it writes the demo company's
history (seeded, ending on a fixed day) to a temporary directory, runs
`healthscore backtest` at 30, 60 and 90 days, and reports progress on stderr.
At the end it prints a markdown table — per profile and horizon, the AUC and
95 % interval of the default model, days since the last login, mean NPS (where
the product has surveys) and the logistic regression fitted out of time, with
the model's AUC on the regression's own samples and the 95 % interval of the
difference between the two — and writes every figure
(without the per-sample rows) to bench/results/adapt-<time>.json.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from models.model_config import load_model
from streams.backtest import run_backtest
from streams.backtest.document import result_json
from streams.backtest.evaluate import Horizon, Predictor
from streams.backtest.samples import BacktestOptions
from streams.demo_history import write_history
from streams.demo_profiles import PROFILES

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


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(profiles: list[str], accounts: int, days: int, seed: int, resamples: int) -> int:
    started = time.monotonic()
    model = load_model()
    options = BacktestOptions(days=(30, 60, 90), resamples=resamples)
    rows: list[str] = []
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
            }
    elapsed = time.monotonic() - started
    document["seconds"] = round(elapsed, 1)
    print(HEADER)
    print("\n".join(rows))
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
    args = parser.parse_args(argv)
    profiles = [p for p in args.profiles.split(",") if p]
    unknown = [p for p in profiles if p not in PROFILES]
    if unknown:
        parser.error(f"unknown profile(s) {', '.join(unknown)}; known: {', '.join(PROFILES)}")
    return run(profiles, args.accounts, args.days, args.seed, args.resamples)


if __name__ == "__main__":
    sys.exit(main())
