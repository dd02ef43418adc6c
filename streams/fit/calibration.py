"""The churn calibration `healthscore fit` writes into the model's `renewals` section.

The observed churn per band of the model written, at one horizon
(`CALIBRATION_DAYS` before each outcome, or the sampled horizon nearest it):
the renewal desk's forecast reads a band's churned / renewals as the churn
probability of a renewal whose account is in that band now. Measured on the
held-out outcomes when the model written is the one validated (out of time),
else on the outcomes it learned from (in sample; `source` says which).
"""

from __future__ import annotations

from collections.abc import Sequence

from models.backtest.calibration import by_band
from models.health import Band
from models.model_config import HealthModel
from models.renewals.settings import BandOutcomes, ChurnCalibration
from streams.fit.rescore import rescore
from streams.fit.sampling import FitSample

CALIBRATION_DAYS = 60


def calibration_days(sampled: Sequence[int]) -> int:
    """CALIBRATION_DAYS if sampled, else the nearest sampled horizon (the longer on a tie)."""
    return min(sampled, key=lambda days: (abs(days - CALIBRATION_DAYS), -days))


def calibrate(
    model: HealthModel, samples: Sequence[FitSample], days: int, source: str
) -> ChurnCalibration | None:
    """Observed churn per band of `model` on the samples taken `days` before their outcome;
    None when there are none."""
    chosen = [s for s in samples if s.days == days]
    if not chosen:
        return None
    bands = model.resolved(None).bands
    scored = [
        (bands.band(score).value, score, s.churned is True)
        for s in chosen
        for score in (rescore(s, model)[0],)
    ]
    found = by_band(scored, [band.value for band in Band])
    return ChurnCalibration(
        source=source,
        days_before=days,
        bands={Band(b.label): BandOutcomes(renewals=b.n, churned=b.churned) for b in found},
    )


def with_calibration(model: HealthModel, calibration: ChurnCalibration) -> HealthModel:
    data = model.model_dump(mode="json")
    data["renewals"]["churn_calibration"] = calibration.model_dump(mode="json")
    return HealthModel.model_validate(data)
