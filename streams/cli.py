"""The `healthscore` command line."""

from __future__ import annotations

import argparse
import sys

from models.exceptions import HealthscoreError
from streams.settings import load_settings


def _worker(args: argparse.Namespace) -> int:
    from streams.worker import run_worker

    run_worker(load_settings())
    return 0


def _schemas(args: argparse.Namespace) -> int:
    from streams.schemas import write_schemas

    for path in write_schemas(args.out):
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


def _produce(args: argparse.Namespace) -> int:
    from streams.produce import produce_file

    return produce_file(load_settings(), args.topic, args.file)


def _demo(args: argparse.Namespace) -> int:
    from streams.demo import run_demo

    return run_demo(load_settings(), accounts=args.accounts, speed=args.speed, seconds=args.seconds)


def _top(args: argparse.Namespace) -> int:
    from streams.top import run_top

    return run_top(
        args.url or load_settings().public_url, once=args.once, token=load_settings().api_token
    )


def _resend(args: argparse.Namespace) -> int:
    from streams.resend import run_resend

    return run_resend(load_settings(), args.account, args.limit)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="healthscore", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    commands.add_parser("worker", help="run a stream-processing worker").set_defaults(run=_worker)

    schemas = commands.add_parser("schemas", help="write JSON Schemas of the input events")
    schemas.add_argument("--out", default="schemas", help="folder (default: schemas)")
    schemas.set_defaults(run=_schemas)

    check = commands.add_parser("check-model", help="validate a health model YAML file")
    check.add_argument("file")
    check.set_defaults(run=_check_model)

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
    demo.set_defaults(run=_demo)

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
