"""The `healthscore fit` command: learn, write the model, print what was learned and how it did."""

from __future__ import annotations

import sys
from pathlib import Path

from models.model_config import load_model
from streams.fit.fitter import FitOptions, fit_history
from streams.fit.output import print_report, write_json, write_model


def run_fit_cli(
    history: str, out: str, options: FitOptions, model_path: str | None, json_out: str | None
) -> int:
    """Returns the exit code; FitError and MissingExtraError propagate to the CLI's handler."""
    base = load_model(model_path)
    result = fit_history(Path(history), base, options, progress=sys.stderr)
    try:
        write_model(result, Path(out))
    except OSError as exc:
        print(f"healthscore: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print_report(result, sys.stdout)
    print(f"wrote {out}")
    if json_out:
        write_json(result, Path(json_out))
        print(f"wrote {json_out}")
    return 0
