"""Renewal KPIs (the renewal desk): what renewed, what churned, what is due and how healthy.

- contracts: the contract records a Health carries, read from the account state;
- settings: the model file's `renewals` section (fiscal year, target, churn calibration);
- quarters: fiscal quarters, their labels and bounds;
- figures: the answer's shape (`RenewalDesk` and its parts);
- kpis: `renewal_desk`, every figure from renewal records, bands and a date.

Pure, like the rest of `models`: docs/renewal-desk.md defines each figure, and
the SQL views of sinks/migrations/005_renewals.sql compute the same ones.
"""
