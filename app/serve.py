"""Serve the API for production: `python -m app.serve`.

    uv run python -m app.serve                   # HOST, PORT and WEB_CONCURRENCY
    uv run python -m app.serve --port 9000 --workers 4

Runs uvicorn with WEB_CONCURRENCY worker processes (each a full app with its
own database pool, see the README's pool arithmetic), proxy headers left to the
app (TRUSTED_PROXIES), and a bounded graceful shutdown: on SIGTERM every worker
fails /health/ready at once, keeps serving for SHUTDOWN_DRAIN_SECONDS, stops
accepting, lets in-flight requests finish for at most SHUTDOWN_TIMEOUT_SECONDS
and exits. Migrations are not run here: run `python -m commands.migrate` first
(the compose file and the Kubernetes Job do; it holds a lock, so instances
starting together may each run it).
"""

import argparse
import os
import sys

import uvicorn

from app.core.startup_errors import load_settings_or_exit


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m app.serve",
        description="Serve gatehouse with uvicorn workers and a graceful shutdown.",
    )
    parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: WEB_CONCURRENCY, else 1)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings_or_exit()
    uvicorn.run(
        "app.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers or settings.WEB_CONCURRENCY,
        proxy_headers=False,
        timeout_graceful_shutdown=settings.SHUTDOWN_TIMEOUT_SECONDS,
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
