"""Variants of the default model that tests need."""

from __future__ import annotations

from typing import Any

from models.model_config import HealthModel, load_model


def absolute_data(model: HealthModel | None = None) -> dict[str, Any]:
    """The model (default: the shipped one) as data, with no factor ranked in the population."""
    data = (model or load_model()).model_dump(mode="json")
    for component in data["components"].values():
        for factor in component["factors"].values():
            factor["percentile_curve"] = None
    return data


def absolute_model(model: HealthModel | None = None) -> HealthModel:
    """The model scoring every factor on its absolute curve."""
    return HealthModel.model_validate(absolute_data(model))
