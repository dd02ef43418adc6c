"""Unit tests of streams/cli/: the `healthscore` command line."""
