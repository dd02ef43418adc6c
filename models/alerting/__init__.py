"""Alerting, as pure code: which alert events a new health produces and where they go.

- event: `AlertEvent`, one message on `health.alerts` (SPEC §4);
- rules: the thresholds of the model YAML's `alerts:` section;
- state: an account's alerting memory, stored in the worker's state table;
- evaluate: the state machine (`evaluate_alerts`) deciding what to emit;
- text: the one-sentence summary a CSM reads;
- routing: which sinks an alert goes to (`HS_ROUTES`).

Imports: the rest of `models` only (no I/O, nothing from `streams` or `sinks`).
"""
