"""The backtest ranks each role's NPS alone: whose experience predicts churn."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from rich.console import Console

from streams.backtest import run_backtest
from streams.backtest.table import print_table
from tests.unit.streams.backtest.test_backtest import (
    MODEL,
    OPTIONS,
    START,
    _line,
    _outcome,
    _write,
)

# Per account: churned or not, and its respondents' (role, score).
ACCOUNTS = {
    f"a{i}": (
        i < 4,
        [
            # The finance executives saw it coming; end users answer 8 whatever happens.
            ("finance_executive", 2 if i < 4 else 10),
            ("end_user", 8),
            *([("technical_expert", 9 if i < 4 else 3)] if i % 2 == 0 else []),
        ],
    )
    for i in range(10)
}


def _history(account: str, churned: bool, answers: list[tuple[str, int]]) -> list[str]:
    lines = [_line("accounts", account, START, 0, name=account)]
    for day in range(0, 200, 2):
        lines.append(_line("logins", account, START + timedelta(days=day), 100 + day, user_id="u"))
    for n, (role, score) in enumerate(answers):
        at = START + timedelta(days=100)
        lines.append(_line("nps", account, at, 500 + n, respondent_id=role, score=score, role=role))
    return [*lines, _outcome(account, "churned" if churned else "renewed")]


def test_each_role_with_answers_is_ranked_alone_with_its_interval(tmp_path: Path) -> None:
    lines = [
        line for a, (churned, answers) in ACCOUNTS.items() for line in _history(a, churned, answers)
    ]
    result = run_backtest(_write(tmp_path / "roles.jsonl", lines), MODEL, OPTIONS)
    roles = result.horizons[0].roles
    assert list(roles) == ["all", "finance_executive", "end_user", "technical_expert"]
    finance, users, experts = (
        roles["finance_executive"],
        roles["end_user"],
        roles["technical_expert"],
    )
    assert (finance.n, finance.churned, finance.ranking.auc) == (10, 4, 1.0)
    assert (users.n, users.ranking.auc) == (10, 0.5)  # all alike: a coin toss
    # Every other account has a technical expert: promoters where it churned (a0, a2),
    # detractors where it renewed (a4, a6, a8): a predictor upside down.
    assert (experts.n, experts.churned, experts.ranking.auc) == (5, 2, 0.0)
    assert finance.auc_interval is not None and users.auc_interval is not None
    assert users.auc_interval[0] <= 0.5 <= users.auc_interval[1]
    assert roles["all"].n == 10

    console = Console(record=True, width=200)
    print_table(result, console)
    text = console.export_text()
    assert "Each role's NPS alone" in text
    assert "finance executive" in text and "all respondents" in text
