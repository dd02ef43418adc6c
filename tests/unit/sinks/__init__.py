"""Unit tests of sinks/: retry policy, delivery lanes, PostgreSQL faults, metrics."""
