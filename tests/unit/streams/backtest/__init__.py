"""Unit tests of streams/backtest/: replaying a history and measuring the score."""
