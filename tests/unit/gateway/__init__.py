"""Unit tests of gateway/ (the HTTP service; the sources have their own)."""
