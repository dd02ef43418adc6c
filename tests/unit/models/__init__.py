"""Unit tests of models/: events, validation, state, scoring, the model and its YAML."""
