"""`healthscore backtest`: replay a history through the workers' pure code and measure the score.

Modules, in the order data flows through them:

- history: read a history file (two passes: outcomes first, then events in time order);
- replay: fold events into per-account states, stopping at scheduled snapshot moments;
- samples: what one outcome looks like N days before it (score, factors, baselines);
- run: `run_backtest`, which schedules the snapshots and ties the above together;
- evaluate: one horizon's figures; logistic: the learned baseline (scikit-learn, lazily);
- document, table, report: the JSON document, the terminal tables, the plot and the command.

The measures themselves are pure and live in `models/backtest/`. This package
imports `models` and nothing else of ours; only `streams.cli` and `bench` import it.
"""

from streams.backtest.run import BacktestResult, run_backtest
from streams.backtest.samples import BacktestOptions, Contracted, is_churn

__all__ = ["BacktestOptions", "BacktestResult", "Contracted", "is_churn", "run_backtest"]
