"""Scoring factors against the population: ranks, fallbacks and drivers that say why."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from models.model_config import HealthModel
from models.population import Population
from models.scoring import factor_values, ranked_measures, score, score_with_measures, signals
from tests.support.model_variants import absolute_model
from tests.unit.models.test_model_factories import MODEL, T0, ago, build, login, profile

BREADTH = "engagement.breadth"


def _ranked_model(min_accounts: int = 30) -> HealthModel:
    data = MODEL.model_dump(mode="json")
    breadth = data["components"]["engagement"]["factors"]["breadth"]
    breadth["percentile_curve"] = [[0, 0], [0.5, 60], [1, 100]]
    data["population"] = {"min_accounts": min_accounts}
    return HealthModel.model_validate(data)


def _uses(features: int, segment: str = "smb") -> list[object]:
    events: list[object] = [profile(segment=segment)]
    events += [login(f"u{n}", ago(1), feature=f"f{n}") for n in range(features)]
    return events


def _population(features_per_account: list[int], model: HealthModel) -> Population:
    population = Population()
    for i, features in enumerate(features_per_account):
        state = build(_uses(features), model=model)  # type: ignore[arg-type]
        population.update(f"peer{i}", "smb", ranked_measures(state, T0, model))
    return population


def test_the_same_usage_scores_by_how_it_compares_with_the_products_other_accounts() -> None:
    model = _ranked_model()
    four = build(_uses(4), model=model)  # type: ignore[arg-type]
    heavy_users = _population([18, 20, 22, 25] * 10, model)
    light_users = _population([1, 1, 2, 2] * 10, model)
    among_heavy = factor_values(four, T0, model, heavy_users)[BREADTH]
    among_light = factor_values(four, T0, model, light_users)[BREADTH]
    assert among_heavy < 10 < 90 < among_light
    # The absolute curve scores 4 features the same on either product.
    absolute = absolute_model(model)
    assert (
        factor_values(four, T0, absolute, heavy_users)[BREADTH]
        == factor_values(four, T0, absolute, light_users)[BREADTH]
    )


def test_a_ranked_driver_says_what_the_median_account_does() -> None:
    model = _ranked_model()
    four = build(_uses(4), model=model)  # type: ignore[arg-type]
    found = [
        s for s in signals(four, T0, model, _population([11] * 40, model)) if s.factor == "breadth"
    ]
    assert found[0].text == (
        "4 features used in the last 30 days; the median account in its segment uses 11"
    )


def test_too_few_accounts_fall_back_to_the_absolute_curve() -> None:
    model = _ranked_model(min_accounts=30)
    four = build(_uses(4), model=model)  # type: ignore[arg-type]
    few = _population([20] * 10, model)
    assert factor_values(four, T0, model, few)[BREADTH] == factor_values(four, T0, model)[BREADTH]
    (breadth,) = [s for s in signals(four, T0, model, few) if s.factor == "breadth"]
    assert breadth.standing is None and breadth.text == "4 features used in the last 30 days"


def test_drivers_still_add_up_to_score_minus_neutral_when_ranked() -> None:
    model = _ranked_model()
    four = build(_uses(4), model=model)  # type: ignore[arg-type]
    health = score(four, T0, model, _population([20] * 40, model))
    everything = signals(four, T0, model, _population([20] * 40, model))
    assert any(s.standing is not None for s in everything)
    # With every driver shown, impacts add up to score - neutral.
    wide = model.model_copy(
        update={"drivers": model.drivers.model_copy(update={"negative": 10, "positive": 10})}
    )
    shown = score(four, T0, wide, _population([20] * 40, model))
    total = sum(d.impact for d in shown.drivers)
    assert abs(total - (shown.score - model.neutral_score)) < 0.5 + 0.1 * len(shown.drivers)
    assert health.score == shown.score


def test_score_hands_back_the_measures_the_population_needs() -> None:
    model = _ranked_model()
    state = build(_uses(6), model=model)  # type: ignore[arg-type]
    _, measures = score_with_measures(state, T0, model)
    assert measures == ranked_measures(state, T0, model)
    assert measures[BREADTH] == 6 and measures["engagement.active_users"] == 6
    absolute = absolute_model(MODEL)
    assert ranked_measures(state, T0, absolute) == {}  # the model ranks nothing


@pytest.mark.parametrize(("component", "factor"), [("sentiment", "nps"), ("commercial", "renewal")])
def test_a_factor_that_can_be_negative_cannot_be_ranked(component: str, factor: str) -> None:
    data = MODEL.model_dump(mode="json")
    data["components"][component]["factors"][factor]["percentile_curve"] = [[0, 0], [1, 100]]
    with pytest.raises(ValidationError, match="cannot have a percentile_curve"):
        HealthModel.model_validate(data)


def test_percentile_curve_ranks_lie_in_zero_to_one() -> None:
    data = MODEL.model_dump(mode="json")
    data["components"]["engagement"]["factors"]["breadth"]["percentile_curve"] = [[0, 0], [50, 100]]
    with pytest.raises(ValidationError, match="ranks must lie in 0-1"):
        HealthModel.model_validate(data)
