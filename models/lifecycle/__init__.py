"""Lifecycle outcomes, as pure code: whether an account is active, churned or resurrected.

- status: `Lifecycle` and `ChurnEpisode`, what a `Health` carries (SPEC §3);
- rules: the model YAML's `lifecycle:` section (when a churned account is back);
- ledger: what the account state keeps for it beyond the windows (contract
  outcomes, login days), and the idempotent updates that fold events into it;
- derive: `account_lifecycle`, the account's lifecycle from its state;
- figures: churn and resurrection figures of many accounts, per quarter.

Imports: the rest of `models` only (no I/O, nothing from `streams` or `sinks`).
"""
