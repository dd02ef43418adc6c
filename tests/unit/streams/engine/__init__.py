"""Unit tests of streams/engine/: fetches, acks, commits, record batches, Faust's metrics."""
