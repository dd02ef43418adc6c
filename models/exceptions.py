"""The root of every error healthscore raises on purpose.

HealthscoreError
└── ModelError      the scoring-model YAML is unreadable or invalid
"""


class HealthscoreError(Exception):
    """Base class: catch this to handle any deliberate healthscore failure."""


class ModelError(HealthscoreError):
    """The scoring model file is invalid; `problems` holds one message per error."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems) if problems else "invalid model")
        self.problems = problems
