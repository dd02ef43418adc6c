"""Unit tests of models/backtest/: the backtest's pure measures."""
