"""Unit tests of models/components/: the four score components."""
