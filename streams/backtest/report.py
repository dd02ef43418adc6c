"""The backtest's outputs: the terminal tables (streams/backtest/table.py), a JSON document
(streams/backtest/document.py) and a PNG plot; and the command that writes them."""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

from rich.console import Console

from streams.backtest.document import write_json
from streams.backtest.logistic import MISSING_SKLEARN
from streams.backtest.run import BacktestResult
from streams.backtest.samples import BacktestOptions
from streams.backtest.table import print_table


def _figure(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


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
        auc = h.predictors["health_score"].ranking.auc
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
    options: BacktestOptions,
    json_out: str | None,
    plot_out: str | None,
    model_path: str | None,
) -> int:
    from models.model_config import load_model
    from streams.backtest.run import run_backtest

    if not Path(history).is_file():
        print(f"healthscore: no history file at {history}", file=sys.stderr)
        return 2
    model = load_model(model_path)
    result = run_backtest(Path(history), model, options, progress=sys.stderr)
    skipped = {h.out_of_time.skipped for h in result.horizons} & {MISSING_SKLEARN}
    for reason in skipped:
        print(f"healthscore: {reason}", file=sys.stderr)
    print_table(result, Console())
    if json_out:
        write_json(result, Path(json_out))
        print(f"wrote {json_out}")
    if plot_out:
        write_plot(result, Path(plot_out))
        print(f"wrote {plot_out}")
    return 0 if result.evaluated else 1
