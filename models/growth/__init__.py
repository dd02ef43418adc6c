"""Growth: which healthy accounts could buy more, and why (the expansion signal).

- settings: the model file's `growth:` section (windows, thresholds, weights);
- signals: the assessment of one account (`assess_growth`), part of its Health;
- figures: the growth list and its figures (`GET /portfolio/growth`);
- docs: the growth section of docs/how-the-score-works.md.

Imports: the rest of `models` only.
"""
