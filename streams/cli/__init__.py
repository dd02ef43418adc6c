"""The `healthscore` command line (`main`) and the commands that run outside a worker.

`main` parses the arguments and imports each command's module only when it
runs, so `healthscore worker` never loads the backtest or scikit-learn. The
commands: `produce`, `resend` (alerts whose delivery failed), `top` (the live
view), `schemas` (JSON Schemas of the input events), and the developer entry
points `run_local` (`make run`) and `docs` (`make docs`: `python -m streams.cli.docs`).

Imports: anything of ours. Nothing imports `streams.cli` except `streams.__main__`
(and the tests).
"""
