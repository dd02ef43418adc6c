"""The backtest's outputs: a table on stdout, a JSON document and a PNG plot."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from models.backtest_metrics import Ranking
from streams.backtest import PREDICTORS, BacktestResult, Contracted, Horizon, Sample

LABELS = {
    "health_score": "health score",
    "days_since_login": "days since login",
    "nps": "mean NPS",
}


OUTCOMES = ("churned", "contracted", "renewed", "expanded")
CONTRACTED = {
    "separate": "left out of the comparison, scores shown apart",
    "retained": "counted as retained",
    "churn": "counted as churn",
}


def _figure(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ranking_json(r: Ranking) -> dict[str, Any]:
    return {"auc": r.auc, "precision_at_k": r.precision_at_k, "lift": r.lift, "k": r.k}


def _scores(samples: list[Sample], status: str) -> dict[str, Any]:
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


def _horizon_json(h: Horizon) -> dict[str, Any]:
    return {
        "days": h.days,
        "samples": len(h.samples),
        "compared": h.compared,
        "churned": sum(1 for s in h.samples if s.churned),
        "base_rate": h.base_rate,
        "predictors": {name: _ranking_json(h.rankings[name]) for name in PREDICTORS},
        "imputed": h.imputed,
        "score_by_outcome": {status: _scores(h.samples, status) for status in OUTCOMES},
    }


def result_json(result: BacktestResult) -> dict[str, Any]:
    """Everything the run found, with every sample, as plain JSON data."""
    options = result.options
    return {
        "history": result.history,
        "model_version": result.model_version,
        "options": {
            "days": list(options.days),
            "k": options.k,
            "contracted": options.contracted,
            "min_history_days": options.min_history_days,
        },
        "events": {"lines": result.lines, "invalid": result.invalid},
        "accounts": result.accounts,
        "first_event_at": result.first_at,
        "last_event_at": result.last_at,
        "outcomes": dict(sorted(result.outcomes.items())),
        "outcomes_evaluated": result.evaluated,
        "horizons": [_horizon_json(h) for h in result.horizons],
        "samples": [s for h in result.horizons for s in h.samples],
        "seconds": round(result.seconds, 2),
    }


def write_json(result: BacktestResult, path: Path) -> None:
    # orjson writes the Sample dataclasses and datetimes (RFC 3339) natively.
    path.write_bytes(orjson.dumps(result_json(result), option=orjson.OPT_INDENT_2))


def print_table(result: BacktestResult, console: Console) -> None:
    outcomes = ", ".join(f"{n} {status}" for status, n in sorted(result.outcomes.items()))
    console.print(
        f"[bold]Backtest[/] of {result.history} (model {result.model_version}): "
        f"{result.lines:,} events ({result.invalid:,} invalid), {result.accounts} accounts; "
        f"renewal outcomes: {outcomes or 'none'}; {result.evaluated} evaluated, the rest "
        f"too early in the history. Churned = positive class; contracted: "
        f"{CONTRACTED[result.options.contracted]}."
    )
    table = Table(title="Churn prediction N days before the renewal outcome")
    for column in ("days before", "predictor", "AUC", "precision@k", "k", "lift", "base rate"):
        table.add_column(column, justify="left" if column == "predictor" else "right")
    for h in result.horizons:
        for index, name in enumerate(PREDICTORS):
            r = h.rankings[name]
            table.add_row(
                str(h.days) if index == 0 else "",
                LABELS[name],
                _figure(r.auc),
                _figure(r.precision_at_k),
                str(r.k),
                _figure(r.lift, 2),
                _figure(h.base_rate) if index == 0 else "",
                end_section=index == len(PREDICTORS) - 1,
            )
    console.print(table)
    for h in result.horizons:
        medians = {status: _scores(h.samples, status).get("median") for status in OUTCOMES}
        by_outcome = ", ".join(
            f"{status} {'-' if median is None else f'{median:.0f}'}"
            for status, median in medians.items()
        )
        console.print(f"Median score {h.days} days before: {by_outcome}.")


def write_plot(result: BacktestResult, path: Path) -> None:
    """Histograms of the score N days before the outcome, churned vs contracted vs renewed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    count = max(1, len(result.horizons))
    fig, axes = plt.subplots(1, count, figsize=(6 * count, 4.2), squeeze=False, sharey=True)
    bins = list(range(0, 105, 5))
    groups = (
        ("renewed or expanded", ("renewed", "expanded"), "tab:green"),
        ("contracted", ("contracted",), "tab:orange"),
        ("churned", ("churned",), "tab:red"),
    )
    for ax, h in zip(axes[0], result.horizons, strict=False):
        for label, statuses, colour in groups:
            values = [s.score for s in h.samples if s.status in statuses]
            if values:
                ax.hist(
                    values,
                    bins=bins,
                    histtype="step",
                    linewidth=2,
                    color=colour,
                    label=f"{label} (n={len(values)}, mean {statistics.fmean(values):.0f})",
                )
        auc = h.rankings["health_score"].auc
        ax.set_title(f"{h.days} days before the outcome — AUC {_figure(auc, 2)}")
        ax.set_xlabel("health score")
        ax.set_xlim(0, 100)
        ax.legend(loc="upper left", fontsize="small")
    axes[0][0].set_ylabel("renewal outcomes")
    fig.suptitle("Health score before renewal outcomes")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_backtest_cli(
    history: str,
    days: tuple[int, ...],
    k: int | None,
    json_out: str | None,
    plot_out: str | None,
    contracted: Contracted,
    min_history_days: int,
    model_path: str | None,
) -> int:
    import sys

    from models.model_config import load_model
    from streams.backtest import BacktestOptions, run_backtest

    if not Path(history).is_file():
        print(f"healthscore: no history file at {history}", file=sys.stderr)
        return 2
    model = load_model(model_path)
    options = BacktestOptions(days, k, contracted, min_history_days)
    result = run_backtest(Path(history), model, options, progress=sys.stderr)
    print_table(result, Console())
    if json_out:
        write_json(result, Path(json_out))
        print(f"wrote {json_out}")
    if plot_out:
        write_plot(result, Path(plot_out))
        print(f"wrote {plot_out}")
    return 0 if result.evaluated else 1
