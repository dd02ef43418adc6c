"""`healthscore fit HISTORY`: learn a model YAML from the product's own renewal outcomes.

Modules, in the order data flows through them:

- sampling: replay the history (the backtest's replay) and record, per outcome and
  horizon, what every factor measured, the features used, and the baselines' inputs;
- split: the out-of-time cut (train on outcomes before it, test on outcomes after it);
- learn: scikit-learn, imported lazily (isotonic and logistic regression);
- curves, features, weights, bands: each learns one part of the model;
- rescore: score a recorded sample with a candidate model, exactly as the worker would;
- model: ties the parts together into a `HealthModel`;
- fitter: `fit_history`, which samples, cuts, learns and validates out of time;
- calibration: the churn per band of the model written, for its renewals section;
- output, command: the model YAML with its header, the report, the JSON and the command.

This package imports `models` and `streams.backtest`; only `streams.cli` and `bench`
import it. The worker never does: scikit-learn is the optional extra `fit`.
"""
