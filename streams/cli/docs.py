"""`make docs`: regenerate the score documentation from the default model."""

from __future__ import annotations

import re
from pathlib import Path

from models.model_config import load_model
from models.score_docs import render_readme_section, render_score_docs

ROOT = Path(__file__).resolve().parents[2]
SECTION = re.compile(r"(<!-- score-docs:start[^\n]*\n).*?(<!-- score-docs:end -->)", re.S)


def main() -> None:
    model = load_model()
    (ROOT / "docs" / "how-the-score-works.md").write_text(render_score_docs(model))
    readme = ROOT / "README.md"
    section = render_readme_section(model)
    readme.write_text(SECTION.sub(lambda m: f"{m[1]}{section}\n{m[2]}", readme.read_text()))


if __name__ == "__main__":
    main()
