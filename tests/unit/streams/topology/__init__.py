"""Unit tests of streams/topology/: the processor, the state table and the population."""
