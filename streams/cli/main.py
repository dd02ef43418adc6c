"""The `healthscore` command line."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from models.exceptions import HealthscoreError
from streams.demo.profiles import PROFILES
from streams.settings import load_settings

PROFILE_NAMES = tuple(PROFILES)


def _worker(args: argparse.Namespace) -> int:
    from streams.worker import run_worker

    run_worker(load_settings())
    return 0


def _gateway(args: argparse.Namespace) -> int:
    from gateway.run import run_gateway

    return run_gateway(load_settings())


def _schemas(args: argparse.Namespace) -> int:
    from streams.cli.schemas import write_schemas

    for path in write_schemas(args.out, args.strict_fields):
        print(path)
    return 0


def _check_model(args: argparse.Namespace) -> int:
    from models.model_file import check_model_file

    errors = check_model_file(args.file)
    for error in errors:
        print(error, file=sys.stderr)
    if not errors:
        print(f"{args.file}: ok")
    return 1 if errors else 0


def _check_gateway(args: argparse.Namespace) -> int:
    from gateway.config import check_gateway_file

    errors = check_gateway_file(args.file)
    for error in errors:
        print(error, file=sys.stderr)
    if not errors:
        print(f"{args.file}: ok")
    return 1 if errors else 0


def _produce(args: argparse.Namespace) -> int:
    from streams.cli.produce import produce_file

    return produce_file(load_settings(), args.topic, args.file)


def _demo(args: argparse.Namespace) -> int:
    from streams.demo.live import run_demo

    return run_demo(
        load_settings(),
        accounts=args.accounts,
        speed=args.speed,
        seconds=args.seconds,
        gateway=args.gateway,
    )


def _demo_history(args: argparse.Namespace) -> int:
    from streams.demo.history import run_demo_history

    return run_demo_history(args.accounts, args.days, args.out, args.seed, args.end, args.profile)


def _backtest(args: argparse.Namespace) -> int:
    from streams.backtest.report import run_backtest_cli
    from streams.backtest.samples import BacktestOptions

    options = BacktestOptions(
        days=args.days,
        k=args.k,
        contracted=args.contracted,
        min_history_days=args.min_history_days,
        min_confidence=args.min_confidence,
        resamples=args.resamples,
        seed=args.seed,
        refit_days=args.refit_days,
    )
    return run_backtest_cli(
        args.history,
        options,
        json_out=args.json,
        plot_out=args.plot,
        model_path=args.model or _model_setting(),
    )


def _fit(args: argparse.Namespace) -> int:
    from streams.backtest.samples import BacktestOptions
    from streams.fit.command import run_fit_cli
    from streams.fit.fitter import FitOptions
    from streams.fit.model import Targets

    options = FitOptions(
        sampling=BacktestOptions(
            days=args.days,
            contracted=args.contracted,
            min_history_days=args.min_history_days,
            min_confidence=args.min_confidence,
        ),
        holdout=args.holdout,
        refit_all=args.refit_all,
        targets=Targets(precision=args.precision, at_risk_precision=args.at_risk_precision),
    )
    model = args.model or _model_setting()
    return run_fit_cli(args.history, args.out, options, model_path=model, json_out=args.json)


def _holdout(text: str) -> float | date:
    from streams.fit.split import parse_holdout

    try:
        return parse_holdout(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must lie between 0 and 1: {value}")
    return value


def _model_setting() -> str | None:
    model = load_settings().model
    return str(model) if model is not None else None


def _days(text: str) -> tuple[int, ...]:
    try:
        days = tuple(dict.fromkeys(int(part) for part in text.split(",") if part.strip()))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of days: {text!r}") from None
    if not days or min(days) < 1:
        raise argparse.ArgumentTypeError("give one or more whole days >= 1, e.g. 60,90")
    return days


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


def _top(args: argparse.Namespace) -> int:
    from streams.cli.top import run_top

    return run_top(
        args.url or load_settings().public_url, once=args.once, token=load_settings().api_token
    )


def _resend(args: argparse.Namespace) -> int:
    from streams.cli.resend import run_resend

    return run_resend(load_settings(), args.account, args.limit)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="healthscore", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    commands.add_parser("worker", help="run a stream-processing worker").set_defaults(run=_worker)

    commands.add_parser(
        "gateway", help="serve webhooks and events over HTTP into the input topics"
    ).set_defaults(run=_gateway)

    schemas = commands.add_parser("schemas", help="write JSON Schemas of the input events")
    schemas.add_argument("--out", default="schemas", help="folder (default: schemas)")
    schemas.add_argument(
        "--strict-fields",
        action="store_true",
        help="reject fields the contract does not name, as HS_STRICT_FIELDS=true does "
        "(default: allowed, as the service ignores them)",
    )
    schemas.set_defaults(run=_schemas)

    check = commands.add_parser("check-model", help="validate a health model YAML file")
    check.add_argument("file")
    check.set_defaults(run=_check_model)

    check_gw = commands.add_parser(
        "check-gateway", help="validate a gateway source config YAML file (HS_GATEWAY_CONFIG)"
    )
    check_gw.add_argument("file")
    check_gw.set_defaults(run=_check_gateway)

    produce = commands.add_parser("produce", help="send a JSONL file of events to a topic")
    produce.add_argument("topic", help="logins, tickets, nps, renewals or accounts")
    produce.add_argument("file", help="JSON Lines file, one event (or batch array) per line")
    produce.set_defaults(run=_produce)

    demo = commands.add_parser("demo", help="produce a synthetic company's events, live")
    demo.add_argument("--accounts", type=int, default=300)
    demo.add_argument(
        "--speed",
        type=float,
        default=3600.0,
        help="simulated seconds per real second (default 3600: an hour a second)",
    )
    demo.add_argument("--seconds", type=float, default=None, help="stop after this long")
    demo.add_argument(
        "--gateway",
        default=None,
        metavar="URL",
        help="send renewals as Stripe events and tickets as Zendesk webhooks to the gateway "
        "at URL, signed with HS_GATEWAY_STRIPE_SECRET and HS_GATEWAY_ZENDESK_SECRET "
        "(default: everything straight to Kafka)",
    )
    demo.set_defaults(run=_demo)

    history = commands.add_parser(
        "demo-history", help="write the demo company's past as a history file (no Kafka)"
    )
    history.add_argument("--accounts", type=_positive, default=300)
    history.add_argument("--days", type=_positive, default=400)
    history.add_argument("--out", default="history.jsonl", help="JSONL file to write")
    history.add_argument("--seed", type=int, default=7)
    history.add_argument("--end", default=None, help="last simulated day (default: yesterday)")
    history.add_argument(
        "--profile",
        choices=PROFILE_NAMES,
        default=PROFILE_NAMES[0],
        help="the kind of product simulated (default: the demo; see streams/demo/profiles.py)",
    )
    history.set_defaults(run=_demo_history)

    backtest = commands.add_parser(
        "backtest", help="how well the score N days before renewal outcomes predicted churn"
    )
    backtest.add_argument("history", help='JSONL file of {"topic": ..., "event": {...}} lines')
    backtest.add_argument(
        "--days", type=_days, default=(30, 60, 90), help="horizons (default 30,60,90)"
    )
    backtest.add_argument(
        "--k", type=_positive, default=None, help="precision@k (default: the number of churners)"
    )
    backtest.add_argument("--json", default=None, help="write the full results to this file")
    backtest.add_argument("--plot", default=None, help="write score distributions to this PNG")
    backtest.add_argument(
        "--contracted",
        choices=("separate", "retained", "churn"),
        default="separate",
        help="contracted renewals: left out of the comparison (default), retained or churn",
    )
    backtest.add_argument(
        "--min-history-days",
        type=int,
        default=30,
        help="skip outcomes whose snapshot falls this soon after the history starts",
    )
    backtest.add_argument(
        "--min-confidence",
        type=float,
        default=None,
        help="below this confidence an outcome has too little data: reported apart "
        "(default: the model's alerts.min_confidence, 0.25)",
    )
    backtest.add_argument(
        "--resamples",
        type=_positive,
        default=1000,
        help="bootstrap resamples for the 95%% intervals",
    )
    backtest.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    backtest.add_argument(
        "--refit-days",
        type=_positive,
        default=30,
        help="the logistic-regression baseline is refitted this often, out of time (default 30)",
    )
    backtest.add_argument("--model", default=None, help="model YAML (default: HS_MODEL)")
    backtest.set_defaults(run=_backtest)

    fit = commands.add_parser(
        "fit", help="learn a model YAML from a history of renewal outcomes (out-of-time validated)"
    )
    fit.add_argument("history", help="JSONL history, as `healthscore backtest` reads")
    fit.add_argument("--out", default="model.yaml", help="model YAML to write (default model.yaml)")
    fit.add_argument(
        "--holdout",
        type=_holdout,
        default=0.3,
        help="share of the latest outcomes (default 0.3) or a date (YYYY-MM-DD) from which "
        "outcomes are held out to validate on; 0 holds nothing out",
    )
    fit.add_argument(
        "--refit-all",
        action="store_true",
        help="after validating, learn the written model again from every outcome "
        "(default: write the validated model, learned before the cut)",
    )
    fit.add_argument(
        "--precision",
        type=_share,
        default=0.5,
        help="churn precision of the critical band on the training outcomes (default 0.5)",
    )
    fit.add_argument(
        "--at-risk-precision",
        type=_share,
        default=0.3,
        help="churn precision of critical and at_risk together (default 0.3)",
    )
    fit.add_argument(
        "--days", type=_days, default=(30, 60, 90), help="horizons sampled (default 30,60,90)"
    )
    fit.add_argument(
        "--contracted",
        choices=("separate", "retained", "churn"),
        default="separate",
        help="contracted renewals: left out (default), retained or churn",
    )
    fit.add_argument("--min-history-days", type=int, default=30)
    fit.add_argument("--min-confidence", type=float, default=None)
    fit.add_argument("--model", default=None, help="base model YAML (default: HS_MODEL)")
    fit.add_argument("--json", default=None, help="write every figure to this JSON file")
    fit.set_defaults(run=_fit)

    top = commands.add_parser("top", help="live terminal view of the portfolio")
    top.add_argument("--url", default=None, help="a worker's base URL (default HS_PUBLIC_URL)")
    top.add_argument("--once", action="store_true", help="print one view and exit")
    top.set_defaults(run=_top)
    alerts = commands.add_parser("alerts", help="alert delivery maintenance")
    alert_commands = alerts.add_subparsers(dest="alerts_command", required=True)
    resend = alert_commands.add_parser("resend", help="deliver failed alert deliveries again")
    resend.add_argument("--account", default=None, help="only this account's alerts")
    resend.add_argument("--limit", type=int, default=1000)
    resend.set_defaults(run=_resend)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except HealthscoreError as exc:
        print(f"healthscore: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
