"""The backtest replays history without looking ahead, and finds what the demo hides."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from models.events import RenewalStatus
from models.model_config import load_model
from streams.backtest import BacktestOptions, is_churn, run_backtest
from streams.cli.main import main

ROOT = Path(__file__).resolve().parents[4]
MODEL = load_model()
START = datetime(2025, 1, 1, 9, tzinfo=UTC)
OUTCOME_AT = START + timedelta(days=200)


def _line(topic: str, account: str, at: datetime, n: int, **fields: Any) -> str:
    event = {"event_id": f"{account}-{n}", "account_id": account, "occurred_at": at.isoformat()}
    return json.dumps({"topic": topic, "event": {**event, **fields}})


def _history(account: str, status: str, nps_score: int) -> list[str]:
    """Daily logins and a monthly NPS answer of `nps_score`, then a renewal outcome."""
    lines = [_line("accounts", account, START, 0, name=account)]
    for day in range(200):
        at = START + timedelta(days=day)
        lines.append(_line("logins", account, at, 1000 + day, user_id="u1"))
        if day % 30 == 0:
            lines.append(
                _line("nps", account, at, 2000 + day, respondent_id=f"r{day}", score=nps_score)
            )
    return [*lines, _outcome(account, status)]


def _outcome(account: str, status: str) -> str:
    """The account's contract renewal outcome, at OUTCOME_AT."""
    return _line(
        "renewals",
        account,
        OUTCOME_AT,
        9999,
        contract_id=f"{account}-c1",
        status=status,
        renewal_date=OUTCOME_AT.date().isoformat(),
        arr=1000.0,
    )


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


OPTIONS = BacktestOptions(days=(60,), min_history_days=30)


def test_a_snapshot_sees_only_events_before_its_moment(tmp_path: Path) -> None:
    base = _history("a", "churned", 9) + _history("b", "renewed", 9)
    snapshot_at = OUTCOME_AT - timedelta(days=60)
    # Detractors from the snapshot moment on: the outcome's future, invisible to the snapshot.
    future = [
        _line("nps", "a", snapshot_at + timedelta(days=d), 5000 + d, respondent_id="x", score=0)
        for d in range(0, 60, 10)
    ]
    plain = run_backtest(_write(tmp_path / "plain.jsonl", base), MODEL, OPTIONS)
    leaked = run_backtest(_write(tmp_path / "later.jsonl", base + future), MODEL, OPTIONS)
    assert [s.score for s in plain.horizons[0].samples] == [
        s.score for s in leaked.horizons[0].samples
    ]
    sample = plain.horizons[0].samples[0]
    assert sample.days == 60
    assert sample.nps == 9
    # That day's login happened at the snapshot's very moment: not "before", so not seen.
    assert sample.days_since_login == 1.0


def test_the_file_need_not_be_in_time_order(tmp_path: Path) -> None:
    lines = _history("a", "churned", 3) + _history("b", "renewed", 10)
    shuffled = list(lines)
    random.Random(4).shuffle(shuffled)
    ordered = run_backtest(_write(tmp_path / "ordered.jsonl", lines), MODEL, OPTIONS)
    mixed = run_backtest(_write(tmp_path / "shuffled.jsonl", shuffled), MODEL, OPTIONS)
    assert ordered.horizons[0].samples == mixed.horizons[0].samples
    assert ordered.horizons[0].predictors["health_score"].ranking.auc == 1.0


def test_bad_lines_are_counted_and_skipped(tmp_path: Path) -> None:
    lines = [
        *_history("a", "churned", 3),
        "not json",
        json.dumps({"topic": "unknown", "event": {}}),
        json.dumps({"topic": "logins", "event": {"account_id": "a"}}),
        "",
    ]
    result = run_backtest(_write(tmp_path / "h.jsonl", lines), MODEL, OPTIONS)
    assert result.invalid == 3
    assert result.outcomes == {"churned": 1}


def test_outcomes_too_early_in_the_history_are_not_evaluated(tmp_path: Path) -> None:
    path = _write(tmp_path / "h.jsonl", _history("a", "churned", 3))
    assert run_backtest(path, MODEL, BacktestOptions(days=(60,))).evaluated == 1
    assert run_backtest(path, MODEL, BacktestOptions(days=(180,))).evaluated == 0


@pytest.mark.parametrize(
    ("status", "contracted", "expected"),
    [
        (RenewalStatus.CHURNED, "separate", True),
        (RenewalStatus.RENEWED, "churn", False),
        (RenewalStatus.EXPANDED, "retained", False),
        (RenewalStatus.CONTRACTED, "separate", None),
        (RenewalStatus.CONTRACTED, "retained", False),
        (RenewalStatus.CONTRACTED, "churn", True),
    ],
)
def test_contracted_renewals_are_classed_as_asked(
    status: RenewalStatus, contracted: Any, expected: bool | None
) -> None:
    assert is_churn(status, contracted) is expected


def test_the_score_predicts_churn_in_the_demo_company(tmp_path: Path) -> None:
    history, report, plot = tmp_path / "h.jsonl", tmp_path / "out.json", tmp_path / "out.png"
    end = date(2025, 6, 30).isoformat()
    model_file = str(ROOT / "models/default_model.yaml")
    assert main(["demo-history", "--accounts", "120", "--days", "400", "--out", str(history),
                 "--end", end]) == 0  # fmt: skip
    assert main(["backtest", str(history), "--days", "60,90", "--json", str(report),
                 "--plot", str(plot), "--model", model_file]) == 0  # fmt: skip

    document = json.loads(report.read_text())
    assert [h["days"] for h in document["horizons"]] == [60, 90]
    for horizon in document["horizons"]:
        assert horizon["churned"] >= 5
        model = horizon["predictors"]["health_score"]
        assert model["auc"] >= 0.75, horizon
        assert model["auc_95"][0] < model["auc"] < model["auc_95"][1]
        assert model["lift"] > 1.5
        assert set(horizon["predictors"]) == {"health_score", "days_since_login", "nps"}
        assert {"engagement", "support", "sentiment", "commercial"} <= set(horizon["components"])
        assert "engagement.recency" in horizon["factors"]
        assert {"all", "business_executive", "end_user"} <= set(horizon["roles"])
        learned = horizon["out_of_time"]
        assert learned["skipped"] is None
        assert learned["predictors"]["logistic_regression"]["n"] > 0
        assert (
            learned["predictors"]["health_score"]["n"]
            == (learned["predictors"]["logistic_regression"]["n"])
        )
        bands = {b["label"]: b for b in horizon["calibration"]["by_band"]}
        assert (
            bands["critical"]["n"] + bands["at_risk"]["n"] + bands["healthy"]["n"]
            == (horizon["scored"])
        )
        assert (bands["healthy"]["rate"] or 0) < bands["at_risk"]["rate"]
        assert len(horizon["calibration"]["by_decile"]) == 10
    assert len(document["samples"]) == 2 * document["outcomes_evaluated"]
    first = document["samples"][0]
    assert {"score", "status", "churned", "days_since_login", "nps", "factors"} <= set(first)

    import matplotlib.image

    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width = matplotlib.image.imread(str(plot)).shape[:2]
    assert width > 1000 and height > 300


def test_an_account_with_too_little_data_is_reported_apart_not_scored_as_neutral(
    tmp_path: Path,
) -> None:
    silent = [  # a profile and an outcome, nothing else: confidence 0, score 50
        _line("accounts", "c", START, 0, name="c"),
        _line(
            "renewals",
            "c",
            OUTCOME_AT,
            1,
            contract_id="c-c1",
            status="churned",
            renewal_date=OUTCOME_AT.date().isoformat(),
            arr=10.0,
        ),
    ]
    lines = _history("a", "churned", 3) + _history("b", "renewed", 10) + silent
    result = run_backtest(_write(tmp_path / "h.jsonl", lines), MODEL, OPTIONS)
    horizon = result.horizons[0]
    assert (horizon.compared, horizon.scored) == (3, 2)
    assert (horizon.too_little.n, horizon.too_little.churned) == (1, 1)
    assert horizon.predictors["health_score"].n == 2
    assert horizon.predictors["health_score"].ranking.auc == 1.0
    thin = next(s for s in horizon.samples if s.account_id == "c")
    assert (thin.score, thin.confidence, thin.enough_data) == (50.0, 0.0, False)


def test_too_little_data_follows_the_models_alert_threshold_unless_told(tmp_path: Path) -> None:
    path = _write(tmp_path / "h.jsonl", _history("a", "churned", 3) + _history("b", "renewed", 9))
    strict = MODEL.model_copy(
        update={"alerts": MODEL.alerts.model_copy(update={"min_confidence": 0.9})}
    )
    # Logins and NPS answers only: engagement and sentiment, 60 % of the weight.
    assert run_backtest(path, MODEL, OPTIONS).horizons[0].too_little.n == 0
    assert run_backtest(path, strict, OPTIONS).horizons[0].too_little.n == 2
    told = replace(OPTIONS, min_confidence=0.5)
    assert run_backtest(path, strict, told).horizons[0].too_little.n == 0
