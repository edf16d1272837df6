"""Where things are, once the server answers: printed by start.sh.

    uv run python -m commands.startup_summary --url http://localhost:8000

Waits until `--url`/health/live answers, then prints the URL, the docs, the
database (its URL without the password, or the SQLite file), where emails go
and, when one is used, the development secrets file. Exit status 1 if the
server did not answer in time.
"""

import argparse
import sys
import time
import urllib.error
import urllib.request

from sqlalchemy.engine import make_url

from app.core.config import Settings, development_secrets_in_use
from app.core.startup_errors import sqlite_path
from commands._common import EXIT_OK, EXIT_REFUSED, load_settings, run_command

POLL_SECONDS = 0.2
LIVENESS_PATH = "/health/live"


def server_answers(url: str, wait_seconds: float) -> bool:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            with urllib.request.urlopen(url + LIVENESS_PATH, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)


def database_line(settings: Settings) -> str:
    if settings.is_sqlite:
        return f"SQLite file {sqlite_path(settings.DATABASE_URL)}"
    return make_url(settings.DATABASE_URL).render_as_string(hide_password=True)


def email_line(settings: Settings) -> str:
    if not settings.MAIL_SERVER:
        return "written to the log (no MAIL_SERVER set)"
    return f"sent by SMTP through {settings.MAIL_SERVER}:{settings.MAIL_PORT}"


def summary(settings: Settings, url: str) -> list[str]:
    lines = [
        f"gatehouse is up ({settings.ENVIRONMENT})",
        f"  API:       {url}/api/v1",
        f"  Docs:      {url}/docs (Swagger UI), {url}/redoc (ReDoc)",
        f"  Database:  {database_line(settings)}",
        f"  Emails:    {email_line(settings)}",
    ]
    secrets_file = development_secrets_in_use(settings)
    if secrets_file is not None:
        lines.append(f"  Secrets:   development secrets from {secrets_file}")
    return lines


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m commands.startup_summary",
        description="Wait for the server to answer, then print where things are.",
    )
    parser.add_argument(
        "--url",
        required=True,
        help="the server's base URL, e.g. http://localhost:8000",
    )
    parser.add_argument(
        "--wait-seconds",
        type=float,
        default=120.0,
        help="how long to wait for the server to answer (default 120)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    url = args.url.rstrip("/")

    def show() -> int:
        settings = load_settings()
        if not server_answers(url, args.wait_seconds):
            sys.stderr.write(f"The server at {url} did not answer.\n")
            return EXIT_REFUSED
        sys.stderr.write("\n==> " + "\n".join(summary(settings, url)) + "\n\n")
        return EXIT_OK

    return run_command(show)


if __name__ == "__main__":
    sys.exit(main())
