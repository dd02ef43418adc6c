"""Unit tests of streams/fit/: learning a model from a history."""
