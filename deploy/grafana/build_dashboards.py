"""Generate healthscore's Grafana dashboards (dashboards as code, standard library only).

    .venv/bin/python deploy/grafana/build_dashboards.py          # write dashboards/*.json
    .venv/bin/python deploy/grafana/build_dashboards.py --check  # exit 1 if they differ

The dashboards are defined in healthscore_dashboards/ (one module each, plus
the building blocks in grafana.py). Edit those, never the JSON:
tests/unit/project/test_dashboards.py fails when the committed JSON is not what this
script generates.

Data sources are referenced by the fixed uids of
deploy/grafana/provisioning/datasources/healthscore.yaml. SQL goes through
`${var:sqlstring}` so values are quoted and escaped by Grafana.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "dashboards"

# Run as a script (or loaded by path from the tests): the package sits beside this file.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from healthscore_dashboards import account, experience, pipeline, portfolio, renewals  # noqa: E402

DASHBOARDS: dict[str, Callable[[], dict[str, Any]]] = {
    "portfolio.json": portfolio,
    "account.json": account,
    "pipeline.json": pipeline,
    "renewals.json": renewals,
    "experience.json": experience,
}


def render() -> dict[str, str]:
    """File name → JSON text, exactly as committed."""
    return {
        name: json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
        for name, build in DASHBOARDS.items()
    }


def main(argv: list[str] | None = None, out: Path = OUT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the JSON files differ")
    args = parser.parse_args(argv)
    stale = []
    for name, text in render().items():
        path = out / name
        if path.exists() and path.read_text() == text:
            continue
        stale.append(name)
        if not args.check:
            out.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if args.check and stale:
        print(f"out of date: {', '.join(stale)}; run {Path(__file__).name}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
