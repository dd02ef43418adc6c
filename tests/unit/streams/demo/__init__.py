"""Unit tests of streams/demo/: the synthetic company."""
