"""The stream-processing service: Faust wiring around the pure code of `models`.

- `app`, `settings`, `topics`, `kafka_client`: the Faust application, the one
  settings class, the contract's topics and the options every Kafka client shares;
- `worker`: `healthscore worker`, which assembles the packages below into one worker;
- `topology/`: the streaming topology: agents, tables, timers and what they do;
- `engine/`: plumbing under Faust's consumer and producer (fetches, acks, commits);
- `api/`: the HTTP API served on the worker's web server;
- `cli/`: the `healthscore` command line and the developer commands;
- `demo/`: the synthetic company behind `healthscore demo` and `demo-history`;
- `backtest/`, `fit/`: replay a history to measure the score, or learn a model from it.

Imports run one way: `models` ← `sinks` ← `streams`. Inside `streams`, `engine`
imports nothing else of ours; `settings`, `topics` and `kafka_client` only `models`;
the worker never reaches `cli`, `demo`, `backtest` or `fit` (nor scikit-learn).
tests/unit/test_import_rules.py checks every rule the package docstrings state.
"""
