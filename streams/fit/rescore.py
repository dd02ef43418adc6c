"""Score a recorded sample with a candidate model, as `models.scoring.score` would.

A `FitSample` holds what each factor measured and its rank, so any model
that ranks the same factors (the population is then the same) and names any
key or risk features can score it without another replay:

- a factor's value is its percentile curve at the recorded rank when it has
  one and the sample was ranked, else its curve at the measure (a reading
  without a measure keeps the base model's value: a churned contract's 0);
- key_features / risk_actions are measured from the features used in the
  baseline / recent window, when the model names such features and the
  engagement component has data, as the engagement component does;
- then the formula of models/scoring.py: each component the weighted mean of
  its factors with data, the score the weighted mean of the components with
  data, rounded to 0.1 and clamped to 0-100, with the base stage's weights
  (the fitter writes no stage overrides) and the confidence.

tests/unit/streams/fit/test_fit.py checks the result equals the worker's own score.
"""

from __future__ import annotations

from collections.abc import Mapping

from models.model_config import HealthModel
from models.model_parts import ComponentName, Factor
from streams.fit.sampling import FitSample, Reading


def measures_of_features(sample: FitSample, model: HealthModel) -> dict[str, float]:
    """The key_features share and risk_actions count the model would measure."""
    config = model.components.engagement
    found: dict[str, float] = {}
    if not sample.engaged:
        return found
    if config.key_features:
        used = sum(w for f, w in config.key_features.items() if f in sample.features_baseline)
        found["engagement.key_features"] = used / sum(config.key_features.values())
    if config.risk_features:
        found["engagement.risk_actions"] = sum(
            w for f, w in config.risk_features.items() if f in sample.features_recent
        )
    return found


def factor_value(factor: Factor, reading: Reading) -> float:
    if reading.measure is None:
        return reading.value
    if factor.percentile_curve is not None and reading.rank is not None:
        return factor.percentile_curve.at(reading.rank)
    return factor.curve.at(reading.measure)


def readings_under(sample: FitSample, model: HealthModel) -> Mapping[str, Reading]:
    """The sample's readings as this model would take them (its own key/risk features)."""
    readings = {
        key: reading
        for key, reading in sample.readings.items()
        if key not in ("engagement.key_features", "engagement.risk_actions")
    }
    for key, measure in measures_of_features(sample, model).items():
        readings[key] = Reading(measure, None, 0.0)
    return readings


def rescore(sample: FitSample, model: HealthModel) -> tuple[float, float]:
    """The (score, confidence) the model gives the sample."""
    resolved = model.resolved(None)
    readings = readings_under(sample, model)
    tables = model.components.factor_tables()
    covered = weighted = total = 0.0
    for component in ComponentName:
        weight = resolved.weights[component]
        total += weight
        factor_weights = resolved.factor_weights[component]
        present = [
            (factor_weights[name], factor_value(factor, reading))
            for name, factor in tables[component].items()
            if (reading := readings.get(f"{component.value}.{name}")) is not None
        ]
        factor_total = sum([w for w, _ in present])
        if factor_total <= 0 or weight <= 0:
            continue
        value = sum([v * (w / factor_total) for w, v in present])
        covered += weight
        weighted += weight * value
    score = weighted / covered if covered > 0 else model.neutral_score
    confidence = round(covered / total, 3) if total > 0 else 0.0
    return min(100.0, max(0.0, round(score, 1))), confidence
