"""`healthscore fit` on a small history: no look-ahead, a model file the worker loads, the
worker's own score, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from models.health import Band
from models.model_config import load_model
from models.model_file import check_model_file
from streams.backtest import BacktestOptions, run_backtest
from streams.cli.main import main
from streams.fit.fitter import FitOptions, fit_history
from streams.fit.output import summary_lines, write_model
from streams.fit.rescore import rescore
from streams.fit.sampling import collect

ROOT = Path(__file__).resolve().parents[4]
BASE = load_model()
START = datetime(2025, 1, 1, 9, tzinfo=UTC)
CUT = date(2025, 8, 1)
CUT_AT = datetime(2025, 8, 1, tzinfo=UTC)


def _line(topic: str, account: str, at: datetime, n: int, **fields: Any) -> str:
    event = {"event_id": f"{account}-{n}", "account_id": account, "occurred_at": at.isoformat()}
    return json.dumps({"topic": topic, "event": {**event, **fields}})


def _outcome(account: str, at: datetime, status: str) -> str:
    return _line(
        "renewals",
        account,
        at,
        99_999,
        contract_id=f"{account}-c1",
        status=status,
        renewal_date=at.date().isoformat(),
        arr=1000.0,
    )


def _account(i: int) -> tuple[list[str], datetime, str]:
    """Account i: logins every day or two (retained) or every 5th day (churned); everyone
    browses, most that stay share too, half of those that leave export in their last 100 days.
    Outcomes spread over 120 days."""
    account, churned = f"a{i:03d}", i % 3 == 0
    outcome_at = START + timedelta(days=130 + (i * 2) % 120, hours=i % 5)
    lines = [_line("accounts", account, START, 0, name=account)]
    gap = 5 if churned else 1 + (i % 2)
    day = 0
    while START + timedelta(days=day) < outcome_at:
        at = START + timedelta(days=day, hours=1)
        late = (outcome_at - at).days < 100
        if churned:
            feature = "export_all" if late and day % 2 and i % 6 == 0 else "browse"
        else:
            feature = "share" if day % 2 and i % 5 else "browse"
        lines.append(_line("logins", account, at, day + 1, user_id="u1", feature=feature))
        if i % 4 == 1:
            lines.append(_line("logins", account, at, 5000 + day, user_id="u2", feature="browse"))
        day += gap
    return lines, outcome_at, "churned" if churned else "renewed"


def _history(accounts: int = 72) -> tuple[list[str], list[tuple[str, datetime, str]]]:
    lines: list[str] = []
    outcomes = []
    for i in range(accounts):
        own, at, status = _account(i)
        lines += own
        outcomes.append((f"a{i:03d}", at, status))
    return lines, outcomes


def _write(path: Path, lines: list[str], outcomes: list[tuple[str, datetime, str]]) -> Path:
    body = lines + [_outcome(account, at, status) for account, at, status in outcomes]
    path.write_text("\n".join(body) + "\n")
    return path


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines, outcomes = _history()
    return _write(tmp_path_factory.mktemp("fit") / "history.jsonl", lines, outcomes)


OPTIONS = FitOptions(holdout=CUT)


def test_outcomes_and_events_after_the_cut_do_not_change_the_model(
    history: Path, tmp_path: Path
) -> None:
    lines, outcomes = _history()
    fitted = fit_history(history, BASE, OPTIONS)
    # After the cut: every outcome flipped, every event dropped, detractor answers added.
    flipped = [
        (account, at, ("renewed" if status == "churned" else "churned") if at >= CUT_AT else status)
        for account, at, status in outcomes
    ]
    kept = [line for line in lines if json.loads(line)["event"]["occurred_at"] < CUT_AT.isoformat()]
    noise = [
        _line("nps", account, CUT_AT + timedelta(days=3), 7_000, respondent_id="r", score=0)
        for account, _, _ in outcomes
    ]
    changed = fit_history(_write(tmp_path / "changed.jsonl", kept + noise, flipped), BASE, OPTIONS)
    assert changed.cut == fitted.cut == CUT_AT
    # What scores is unchanged; the held-out figures, and the churn calibration measured on
    # the held-out outcomes, did see the change.
    assert changed.model.model_dump(exclude={"renewals"}) == fitted.model.model_dump(
        exclude={"renewals"}
    )
    assert changed.checks != fitted.checks
    assert changed.model.renewals != fitted.model.renewals
    assert fitted.train > 0 and fitted.test > 0


def test_a_snapshot_sees_no_event_from_its_moment_on(history: Path, tmp_path: Path) -> None:
    lines, outcomes = _history()
    options = BacktestOptions(days=(30,))
    later = [
        _line("nps", account, at - timedelta(days=30 - d), 8_000 + d, respondent_id="r", score=0)
        for account, at, _ in outcomes
        for d in (0, 10)
    ]
    plain = collect(history, BASE, options).samples
    leaked = collect(_write(tmp_path / "later.jsonl", lines + later, outcomes), BASE, options)
    assert [s.readings for s in plain] == [s.readings for s in leaked.samples]
    assert all("sentiment.nps" not in s.readings for s in leaked.samples)


def test_the_fit_learns_the_features_that_tell(history: Path) -> None:
    model = fit_history(history, BASE, OPTIONS).model
    assert "share" in model.components.engagement.key_features
    assert "export_all" in model.components.engagement.risk_features
    assert model.version.startswith("fit-2025")
    assert model.stages == {}


def test_the_written_model_round_trips_and_scores_as_the_worker_does(
    history: Path, tmp_path: Path
) -> None:
    result = fit_history(history, BASE, OPTIONS)
    path = tmp_path / "model.yaml"
    write_model(result, path)
    assert check_model_file(str(path)) == []
    loaded = load_model(str(path))
    assert loaded.model_dump() == result.model.model_dump()
    text = path.read_text()
    assert text.startswith("# Learned by `healthscore fit`")
    assert "held out, 30 days before" in text
    # The fitter's own scoring of a sample is the worker's score of that account then.
    options = BacktestOptions(days=(30, 60, 90), resamples=10)
    backtest = run_backtest(history, loaded, options)
    worker = {(s.account_id, s.days): s.score for h in backtest.horizons for s in h.samples}
    samples = collect(history, BASE, options).samples
    assert samples
    for sample in samples:
        assert abs(rescore(sample, loaded)[0] - worker[(sample.account_id, sample.days)]) <= 0.1


def test_refit_all_learns_the_written_model_from_every_outcome(history: Path) -> None:
    result = fit_history(history, BASE, FitOptions(holdout=CUT, refit_all=True))
    assert result.written.samples > result.validated.samples
    assert result.checks  # validated before the refit


def test_the_written_model_carries_the_churn_per_band_of_the_held_out_outcomes(
    history: Path,
) -> None:
    result = fit_history(history, BASE, OPTIONS)
    calibration = result.model.renewals.churn_calibration
    assert calibration == result.calibration
    assert calibration.days_before == 60
    assert "held out" in calibration.source
    held_out = next(c for c in result.checks if c.days == 60)
    counted = calibration.bands.values()
    assert sum(o.renewals for o in counted) == held_out.samples
    assert sum(o.churned for o in counted) == held_out.churned
    below_healthy = (
        calibration.outcomes(Band.CRITICAL).renewals + calibration.outcomes(Band.AT_RISK).renewals
    )
    assert below_healthy == held_out.edges[1].flagged
    assert "churn per band 60 days before" in "\n".join(summary_lines(result))
    # The rest of the renewals section is the base model's.
    assert result.model.renewals.fiscal_year_start_month == BASE.renewals.fiscal_year_start_month


def test_fit_command_writes_a_model_and_reports_validation(
    history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, figures = tmp_path / "m.yaml", tmp_path / "fit.json"
    code = main(["fit", str(history), "--out", str(out), "--json", str(figures)])
    assert code == 0
    printed = capsys.readouterr()
    assert "AUC fitted model" in printed.out
    assert "fit: learning from" in printed.err
    assert main(["check-model", str(out)]) == 0
    document = json.loads(figures.read_text())
    assert {h["days"] for h in document["held_out"]} == {30, 60, 90}
    assert document["churn_calibration"]["days_before"] == 60
    assert main(["fit", str(history), "--out", str(tmp_path / "no" / "such" / "dir.yaml")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_fit_command_errors_are_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["fit", str(tmp_path / "missing.jsonl")]) == 2
    assert "no history file" in capsys.readouterr().err

    lines, outcomes = _history(12)
    bare = tmp_path / "bare.jsonl"
    bare.write_text("\n".join(lines) + "\n")
    assert main(["fit", str(bare), "--out", str(tmp_path / "x.yaml")]) == 2
    assert "no renewal outcome" in capsys.readouterr().err

    one_class = _write(tmp_path / "one.jsonl", lines, [(a, t, "renewed") for a, t, _ in outcomes])
    assert main(["fit", str(one_class), "--out", str(tmp_path / "x.yaml")]) == 2
    assert "both classes are needed" in capsys.readouterr().err

    with pytest.raises(SystemExit):
        main(["fit", str(one_class), "--holdout", "tomorrow"])
    assert "not a share" in capsys.readouterr().err

    monkeypatch.setitem(sys.modules, "sklearn", None)
    assert main(["fit", str(one_class)]) == 2
    assert "pip install 'healthscore[fit]'" in capsys.readouterr().err
    assert not (tmp_path / "x.yaml").exists()


def test_the_worker_never_imports_scikit_learn() -> None:
    code = "import sys, streams.worker, streams.app; sys.exit('sklearn' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False).returncode == 0
