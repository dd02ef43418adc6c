"""The backtest's measures, pure and deterministic; `streams.backtest` runs them.

- metrics: how well a risk ranking separates churned from retained accounts (AUC, lift);
- bootstrap: how sure an AUC is (paired, seeded bootstrap intervals);
- calibration: observed churn per band and per score decile;
- baselines: the naive predictors the score must beat;
- split: out-of-time folds for the learned baseline.

Imports: the rest of `models` only (no I/O, nothing from `streams` or `sinks`).
"""
