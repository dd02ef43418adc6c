"""Unit tests of models/growth/: the expansion signal, its settings and the growth list."""
