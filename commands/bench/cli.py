"""The command line: `python -m commands.bench [lists] [options]`."""

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

import httpx
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from app.core.config import Settings
from commands._common import EXIT_CONFIG, EXIT_OK, EXIT_REFUSED
from commands.bench import __doc__ as DESCRIPTION
from commands.bench.database import (
    LARGE_ITEMS,
    LARGE_USERS,
    MIN_USERS,
    OWN_ITEMS,
    bench_database_url,
)
from commands.bench.lists import measure_lists
from commands.bench.load import INSTALL_WRK, LoadError, wrk_version
from commands.bench.plans import RequestFailed
from commands.bench.rounds import SCENARIO_NAMES, progress
from commands.bench.run import HttpRun, run_http
from commands.bench.server import ServerError

FAILURES = (
    RequestFailed,
    ServerError,
    LoadError,
    ValidationError,
    httpx.HTTPError,
    SQLAlchemyError,
    OSError,
)


def add_database_options(
    parser: argparse.ArgumentParser, users: int, items: int
) -> None:
    parser.add_argument("--users", type=int, help=f"users to seed (default {users})")
    parser.add_argument("--items", type=int, help=f"items to seed (default {items})")
    parser.add_argument(
        "--large",
        action="store_true",
        help=f"seed {LARGE_USERS} users and {LARGE_ITEMS} items "
        "(--users and --items still win)",
    )
    parser.add_argument(
        "--any-database",
        action="store_true",
        help="allow a database whose name does not contain 'bench' (it is emptied)",
    )
    parser.set_defaults(default_users=users, default_items=items)


def resolve_sizes(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """--users and --items from --large or the command's defaults when not given."""
    if args.users is None:
        args.users = LARGE_USERS if args.large else args.default_users
    if args.items is None:
        args.items = LARGE_ITEMS if args.large else args.default_items
    if args.users < MIN_USERS or args.items < OWN_ITEMS:
        parser.error(f"need --users >= {MIN_USERS} and --items >= {OWN_ITEMS}")


def scenario_list(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in SCENARIO_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown scenario {', '.join(unknown) or value!r}; "
            f"choose from {', '.join(SCENARIO_NAMES)}"
        )
    return names


def parse_http_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m commands.bench",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per load")
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of discarded load before each"
    )
    parser.add_argument(
        "--connections", type=int, default=32, help="concurrent connections (32)"
    )
    parser.add_argument(
        "--repeats", type=int, default=2, help="rounds of every server (default 2)"
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers")
    add_database_options(parser, users=10_000, items=10_000)
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("bench-results.json"),
        help="where the JSON results go (default bench-results.json)",
    )
    parser.add_argument(
        "--load-generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="wrk, the slower asyncio fallback, or wrk when installed (auto)",
    )
    parser.add_argument(
        "--only",
        dest="scenarios",
        type=scenario_list,
        default=list(SCENARIO_NAMES),
        metavar="SCENARIO[,...]",
        help=f"among {', '.join(SCENARIO_NAMES)} (GET /health/live and the "
        "references always run)",
    )
    args = parser.parse_args(argv)
    resolve_sizes(parser, args)
    if args.duration < 1 or args.warmup < 0 or args.connections < 1:
        parser.error("need --duration >= 1, --warmup >= 0 and --connections >= 1")
    if args.repeats < 1 or args.workers < 1:
        parser.error("need --repeats >= 1 and --workers >= 1")
    if not args.output.parent.is_dir():
        parser.error(f"--output: no directory {args.output.parent}")
    return args


def parse_lists_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m commands.bench lists",
        description="GET /api/v1/items in-process: latency by filter and sort, "
        "and the plans of its queries.",
    )
    add_database_options(parser, users=10_000, items=100_000)
    parser.add_argument(
        "--requests", type=int, default=200, help="requests per measured query (200)"
    )
    parser.add_argument(
        "--no-explain", dest="explain", action="store_false", help="skip EXPLAIN"
    )
    args = parser.parse_args(argv)
    resolve_sizes(parser, args)
    if args.requests < 2:
        parser.error("need --requests >= 2")
    return args


def choose_generator(choice: str) -> tuple[str, str | None]:
    """("wrk" or "python", wrk's version line), warning when not wrk."""
    wrk = wrk_version()
    if choice == "wrk" and wrk is None:
        raise LoadError(f"wrk is not installed ({INSTALL_WRK})")
    if choice == "python" or wrk is None:
        reason = "as asked" if choice == "python" else f"no wrk ({INSTALL_WRK})"
        progress(
            f"Warning: using the Python load generator ({reason}); it is less "
            "precise than wrk: its own overhead is in the latencies it reports"
        )
        return "python", wrk
    return "wrk", wrk


def run_lists(argv: Sequence[str]) -> int:
    args = parse_lists_args(argv)
    url = bench_database_url(args.any_database)
    if url is None:
        return EXIT_REFUSED
    settings = Settings(DATABASE_URL=url, LOG_LEVEL="WARNING")
    asyncio.run(
        measure_lists(settings, args.users, args.items, args.requests, args.explain)
    )
    return EXIT_OK


def run_benchmark(argv: Sequence[str]) -> int:
    args = parse_http_args(argv)
    url = bench_database_url(args.any_database)
    if url is None:
        return EXIT_REFUSED
    generator, wrk = choose_generator(args.load_generator)
    # The options are named like HttpRun's fields.
    given = {
        name: getattr(args, name)
        for name in (field.name for field in fields(HttpRun))
        if hasattr(args, name)
    }
    run_http(HttpRun(**given, generator=generator, wrk=wrk, database_url=url))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["lists"]:
        command, arguments = run_lists, arguments[1:]
    else:
        command = run_benchmark
    try:
        return command(arguments)
    except FAILURES as exc:
        sys.stderr.write(f"Error: {type(exc).__name__}: {exc}\n")
        return EXIT_CONFIG
