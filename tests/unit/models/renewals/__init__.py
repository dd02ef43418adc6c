"""Unit tests of models/renewals/: the renewal desk's quarters, figures and settings."""
