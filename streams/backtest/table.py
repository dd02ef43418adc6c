"""The backtest on a terminal: three rich tables a CS leader can read top to bottom.

1. Per horizon, the health score against the baselines: AUC with its 95 %
   interval (CI), precision@k and lift; then the logistic regression out of
   time, with the health score on exactly the samples it predicted.
2. Each component and each factor alone: AUC (samples with data).
3. Each role's NPS alone: AUC with its 95 % interval (samples with an answer
   from the role): whose experience predicts churn.
4. Observed churn rate per band and per score decile.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from models.experience.figures import ALL_RESPONDENTS
from streams.backtest.document import OUTCOMES, score_summary
from streams.backtest.evaluate import ROLE_ORDER, Horizon, Predictor
from streams.backtest.run import BacktestResult

LABELS = {
    "health_score": "health score",
    "days_since_login": "days since login",
    "nps": "mean NPS",
    "logistic_regression": "logistic, out of time",
}
CONTRACTED = {
    "separate": "left out of the comparison, scores shown apart",
    "retained": "counted as retained",
    "churn": "counted as churn",
}


def _figure(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _interval(p: Predictor) -> str:
    if p.auc_interval is None:
        return "-"
    low, high = p.auc_interval
    return f"{low:.2f}-{high:.2f}"


def _row(table: Table, days: str, label: str, p: Predictor, end: bool = False) -> None:
    r = p.ranking
    table.add_row(
        days,
        label,
        str(p.n),
        _figure(r.auc),
        _interval(p),
        _figure(r.precision_at_k),
        str(r.k),
        _figure(r.lift, 2),
        end_section=end,
    )


def _prediction_table(result: BacktestResult) -> Table:
    table = Table(title="Churn prediction N days before the renewal outcome")
    for column in ("days", "predictor", "n", "AUC", "95 % CI", "prec@k", "k", "lift"):
        table.add_column(column, justify="left" if column == "predictor" else "right")
    for h in result.horizons:
        names = list(h.predictors)
        for index, name in enumerate(names):
            _row(table, str(h.days) if index == 0 else "", LABELS[name], h.predictors[name])
        oot = h.out_of_time
        if oot.skipped is not None:
            table.add_row("", f"[dim]{LABELS['logistic_regression']}: {oot.skipped}[/]")
            table.add_section()
            continue
        learned = oot.predictors["logistic_regression"]
        _row(table, "", f"[bold]{LABELS['logistic_regression']}[/]", learned)
        _row(table, "", "  score, same samples", oot.predictors["health_score"], end=True)
    return table


def _alone_table(result: BacktestResult) -> Table:
    table = Table(title="Each component and factor alone: AUC (samples with data)")
    table.add_column("component / factor")
    for h in result.horizons:
        table.add_column(f"{h.days} d", justify="right")
    components = sorted({name for h in result.horizons for name in h.components})
    factors = sorted({name for h in result.horizons for name in h.factors})

    def cells(pick: str, name: str) -> list[str]:
        out = []
        for h in result.horizons:
            p = (h.components if pick == "component" else h.factors).get(name)
            out.append("-" if p is None else f"{_figure(p.ranking.auc, 2)} ({p.n})")
        return out

    for component in components:
        table.add_row(f"[bold]{component}[/]", *cells("component", component))
        for factor in (f for f in factors if f.startswith(component + ".")):
            table.add_row(f"  {factor.split('.', 1)[1]}", *cells("factor", factor))
    return table


def _roles_table(result: BacktestResult) -> Table:
    table = Table(title="Each role's NPS alone: AUC, 95 % CI (samples with an answer from it)")
    table.add_column("respondents")
    for h in result.horizons:
        table.add_column(f"{h.days} d", justify="right")
    roles = [name for name in ROLE_ORDER if any(name in h.roles for h in result.horizons)]
    for role in roles:
        cells = []
        for h in result.horizons:
            p = h.roles.get(role)
            cells.append(
                "-" if p is None else f"{_figure(p.ranking.auc, 2)} {_interval(p)} ({p.n})"
            )
        label = "all respondents" if role == ALL_RESPONDENTS else role.replace("_", " ")
        table.add_row(label, *cells, end_section=role == ALL_RESPONDENTS)
    return table


def _calibration_table(result: BacktestResult) -> Table:
    table = Table(title="Observed churn rate (of n) by band and by score decile, lowest first")
    table.add_column("group")
    for h in result.horizons:
        table.add_column(f"{h.days} d", justify="right")
    if not result.horizons:
        return table
    first = result.horizons[0]
    for index, band in enumerate(first.bands):
        cells = [_rate(h.bands[index].rate, h.bands[index].n) for h in result.horizons]
        table.add_row(band.label.replace("_", " "), *cells, end_section=index == 2)
    for index, decile in enumerate(first.deciles):
        cells = [
            _rate(h.deciles[index].rate, h.deciles[index].n, h.deciles[index].high)
            for h in result.horizons
        ]
        table.add_row(f"decile {decile.label}", *cells)
    return table


def _rate(rate: float | None, n: int, high: float | None = None) -> str:
    if rate is None:
        return "-"
    upto = f", ≤{high:.0f}" if high is not None else ""
    return f"{100 * rate:.0f} % of {n}{upto}"


def _horizon_note(h: Horizon) -> str:
    apart = h.too_little
    note = (
        f"{h.days} d: {h.scored} ranked, base rate {_figure(h.base_rate)}; "
        f"{apart.n} with too little data apart ({apart.churned} churned)"
    )
    oot = h.out_of_time
    if oot.skipped is None and oot.difference is not None:
        low, high = oot.difference
        note += (
            f"; logistic regression refitted {oot.folds} times, last on {oot.trained_on} outcomes; "
            f"AUC of health score minus logistic regression: {low:+.2f} to {high:+.2f} (95 %)"
        )
    medians = {status: score_summary(h.samples, status).get("median") for status in OUTCOMES}
    by_outcome = ", ".join(
        f"{status} {'-' if median is None else f'{median:.0f}'}"
        for status, median in medians.items()
    )
    return f"{note}. Median score: {by_outcome}."


def print_table(result: BacktestResult, console: Console) -> None:
    options = result.options
    outcomes = ", ".join(f"{n} {status}" for status, n in sorted(result.outcomes.items()))
    console.print(
        f"[bold]Backtest[/] of {result.history} (model {result.model_version}): "
        f"{result.lines:,} events ({result.invalid:,} invalid), {result.accounts} accounts; "
        f"renewal outcomes: {outcomes or 'none'}; {result.evaluated} evaluated, the rest "
        f"too early in the history. Churned = positive class; contracted: "
        f"{CONTRACTED[options.contracted]}. Too little data = confidence below "
        f"{options.min_confidence or 0:g} (under that share of the model's weight had data): "
        f"counted apart, not ranked. Intervals: {options.resamples} bootstrap resamples, "
        f"seed {options.seed}."
    )
    console.print(_prediction_table(result))
    for h in result.horizons:
        console.print(_horizon_note(h))
    console.print(_alone_table(result))
    console.print(_roles_table(result))
    console.print(_calibration_table(result))
