"""The healthscore domain: events, per-account state, the scoring model and alert rules.

Pure code only: nothing in this package performs I/O, so the stream workers,
the backtest and the tests all compute the same score from the same events.
"""
