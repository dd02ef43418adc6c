"""Unit tests of models/alerting/: alert rules, the state machine and routing."""
