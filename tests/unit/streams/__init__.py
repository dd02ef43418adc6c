"""Unit tests of streams/, one folder per package; top-level modules here."""
