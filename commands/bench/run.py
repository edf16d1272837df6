"""One HTTP benchmark run: seed, alternate the servers, explain, report."""

import asyncio
import os
import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from app.core.config import SECRET_NAMES, Settings
from commands.bench.database import SUPERUSER_EMAIL, prepare_database
from commands.bench.deep_pages import pages_json, plan_requests
from commands.bench.plans import Captured, PlanRequest, explain_requests
from commands.bench.references import (
    BARE_PATH,
    CEILING_PATH,
    STOCK_ME_PATH,
    ReferenceDatabase,
    reference_specs,
)
from commands.bench.report import (
    load_average,
    machine,
    print_plans,
    print_report,
    print_server_logs,
    rows_json,
    write_json,
)
from commands.bench.rounds import (
    Rounds,
    app_server,
    progress,
    reference_servers,
    run_rounds,
)
from commands.bench.rows import Table, fold
from commands.bench.scenarios import ADMIN_LIST_PATH, LIVE_PATH, Timing
from commands.bench.server import ServerSpec, server_command
from commands.bench.targets import verdicts

LOG_TAIL_LINES = 20


@dataclass(frozen=True)
class HttpRun:
    """What the command line asked for."""

    duration: int
    warmup: int
    connections: int
    repeats: int
    workers: int
    users: int
    items: int
    scenarios: Sequence[str]
    output: Path
    generator: str  # "wrk" or "python"
    wrk: str | None  # wrk's version line
    database_url: str


def app_overrides(url: str) -> dict[str, str]:
    """What the app server's environment sets on top of ours: production, measured."""
    return {
        "ENVIRONMENT": "production",
        "DATABASE_URL": url,
        **{name: secrets.token_urlsafe(48) for name in SECRET_NAMES},
        "REFRESH_COOKIE_SECURE": "true",  # production refuses anything else
        "RATE_LIMIT_ENABLED": "false",  # login is hammered on purpose
        "OUTBOX_WORKER_ENABLED": "false",
        "LOG_LEVEL": "WARNING",  # the app's access log lines are INFO
        # Tokens from a scenario's login outlive any --duration.
        "ACCESS_TOKEN_EXPIRE_SECONDS": "3600",
    }


def is_admin_listing(query: Captured) -> bool:
    """The admin list's own statements (its page and its count), not auth's."""
    listing = "ORDER BY" in query.flat or "count(" in query.flat
    return "FROM users" in query.flat and listing


def chosen_plans(run: HttpRun, memo: dict[str, Any]) -> list[PlanRequest]:
    plans = []
    if "admin-users" in run.scenarios:
        plans.append(
            PlanRequest(
                "admin list", SUPERUSER_EMAIL, ADMIN_LIST_PATH, is_admin_listing
            )
        )
    return plans + plan_requests(memo)


def run_settings(run: HttpRun, settings: Settings) -> dict[str, Any]:
    app = ServerSpec("app", "app.asgi:app", LIVE_PATH)
    shown = server_command(app, "<free>", run.workers)
    return {
        **{
            name: value
            for name, value in asdict(run).items()
            if name not in {"output", "wrk", "database_url"}
        },
        "database": make_url(settings.DATABASE_URL).render_as_string(
            hide_password=True
        ),
        "server": " ".join(shown[1:]),
        "argon2": {
            "ARGON2_MEMORY_COST_KIB": settings.ARGON2_MEMORY_COST_KIB,
            "ARGON2_TIME_COST": settings.ARGON2_TIME_COST,
            "ARGON2_PARALLELISM": settings.ARGON2_PARALLELISM,
        },
        "database_pool": {
            "DATABASE_POOL_SIZE": settings.DATABASE_POOL_SIZE,
            "DATABASE_MAX_OVERFLOW": settings.DATABASE_MAX_OVERFLOW,
            "DATABASE_POOL_TIMEOUT": settings.DATABASE_POOL_TIMEOUT,
            "DATABASE_POOL_RECYCLE_SECONDS": settings.DATABASE_POOL_RECYCLE_SECONDS,
        },
    }


def run_http(run: HttpRun) -> None:
    overrides = app_overrides(run.database_url)
    # The settings the app server will read: the same environment, the same
    # overrides (strings, parsed as the server parses its environment).
    as_arguments: dict[str, Any] = dict(overrides)
    settings = Settings(**as_arguments)
    load_before = load_average()
    progress(f"seeding {run.users} users and {run.items} items")
    clients, server_version = asyncio.run(
        prepare_database(settings, run.users, run.items)
    )
    database = ReferenceDatabase(
        settings.DATABASE_URL,
        settings.DATABASE_POOL_SIZE,
        settings.DATABASE_MAX_OVERFLOW,
    )
    references = reference_specs(
        database, str(clients.user_id), secrets.token_urlsafe(48)
    )
    app = ServerSpec("app", "app.asgi:app", LIVE_PATH, overrides)
    servers = [
        *reference_servers(references),
        app_server(app, run.scenarios, run.items),
    ]
    timing = Timing(run.duration, run.warmup, run.connections)
    rounds = Rounds(run.repeats, timing, run.workers, run.generator)
    with tempfile.TemporaryDirectory(prefix="gatehouse-bench-") as workdir:
        measured = run_rounds(servers, rounds, dict(os.environ), Path(workdir))
    progress("explaining the lists' queries")
    plans = asyncio.run(explain_requests(settings, chosen_plans(run, measured.memo)))
    load_after = load_average()

    table = Table(fold(measured.measurements))
    judged = verdicts(table)
    if run.generator == "wrk":
        described = f"wrk ({run.wrk})"
    else:
        described = "python (less precise)"
    print_report(table, judged, measured.memory, described, run.repeats)
    print_plans(plans)
    print_server_logs(measured.logs)
    write_json(
        run.output,
        {
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(server_version, run.wrk),
            "load_average": {"before": load_before, "after": load_after},
            "settings": run_settings(run, settings),
            "references": {
                "bare": f"GET {BARE_PATH}",
                "ceiling": f"GET {CEILING_PATH}",
                "stock": f"GET {STOCK_ME_PATH}",
                "live": f"GET {LIVE_PATH}",
            },
            "rows": rows_json(table),
            "targets": [verdict.as_json() for verdict in judged],
            "memory": [sample.as_json() for sample in measured.memory],
            "deep_pages": pages_json(measured.memo),
            "plans": [plan.as_json() for plan in plans],
            "server_logs": {
                name: {"lines": len(lines), "tail": lines[-LOG_TAIL_LINES:]}
                for name, lines in measured.logs.items()
            },
        },
    )
