"""The healthscore domain: events, per-account state, the scoring model and alert rules.

Pure code only: nothing in this package performs I/O, so the stream workers,
the backtest and the tests all compute the same score from the same events.

- events, validation, event_records: the input events and how a message is
  checked (a rejection is a value, never an exception);
- state, state_records: per-account state, and applying events to it;
- scoring, health, population: the score (the formula is in scoring's
  docstring), the `Health` it produces, and the population factors rank in;
- model_config, model_parts, model_file, default_model.yaml, yaml_errors: the
  scoring model and reading it from YAML; score_docs renders its documentation;
- components/: the four score components; alerting/: alert rules, the alert
  state machine and routing; backtest/: the backtest's measures; experience/:
  customer-experience counts per persona and their figures;
- exceptions: `HealthscoreError`, the root of every error of ours.

Imports: the standard library and third-party libraries only; nothing from
`streams`, `sinks`, `bench` or `tests` (tests/unit/test_import_rules.py checks it).
"""
