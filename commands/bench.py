"""Benchmark gatehouse over HTTP: each hot endpoint against a constant route.

    apt-get install wrk                                     # once (see below)
    createdb -h 127.0.0.1 -U postgres gatehouse_bench      # once
    uv run python -m commands.bench
    uv run python -m commands.bench --only users-me,items-list --duration 5

BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/gatehouse_bench)
names the database. Every run DROPS its public schema, migrates it to head and
seeds it again (10 000 users by default, all with one pre-computed Argon2 hash;
a superuser; an ordinary user with exactly 100 items; --items in all), so the
database name must contain "bench" unless --any-database is given.

The app then runs as in production, in a subprocess: uvicorn with one worker,
uvloop and httptools, no reload, no access log, ENVIRONMENT=production with
fresh secrets, rate limits and the email outbox worker off (login is hammered
on purpose), LOG_LEVEL=WARNING. ARGON2_* and DATABASE_POOL_* settings in the
environment reach the server, and the JSON records them: they are part of what
is measured.

Each scenario logs in again, checks one request answers the expected status,
then loads the endpoint with 32 keep-alive connections (--connections) for
--duration seconds after a --warmup whose figures are discarded:

    users-me             GET /api/v1/users/me
    items-list           GET /api/v1/items?limit=100 (the user's 100 items)
    admin-users          GET /api/v1/users?is_active=true&sort=email&limit=50 as
                         the superuser: its latency with ONE connection (with 32,
                         p50 is just 32 / throughput), then its throughput with 32
    health               GET /health (readiness: one SELECT 1)
    items-create         POST /api/v1/items
    login                POST /api/v1/auth/login (Argon2 verification)
    health-under-login   GET /health on one connection while 32 hammer login

GET /health/live, a constant with no dependency, is loaded first and last; every
throughput is shown as a ratio to the mean of those two runs (which also shows
drift). The table judges the targets (ratios to /health/live; /health p99 under
login; the admin list's single-connection p50) and the run exits 0 whether they
pass or not; it exits non-zero when the benchmark itself fails (server did not
start, an unexpected status, no load generator). After the load, EXPLAIN
(ANALYZE, BUFFERS) shows the plan of the admin list's SQL, captured in-process.

The load comes from wrk (`apt-get install wrk`; C, the reference). Without it
(or with --load-generator python) a small asyncio client in this process takes
over, with a warning: its own overhead is in its figures. The output says which
generator ran. Results go to stdout as a table and to --output as JSON (machine,
settings, every measurement). Takes about two minutes with the defaults; it is
not part of the test suite and does not run in CI.
"""

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

import httpx
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import PROJECT_ROOT, SECRET_NAMES, Settings
from app.db.session import create_engine
from app.main import create_app, dispose_engines
from commands._bench_database import (
    MIN_USERS,
    OWN_ITEMS,
    PASSWORD,
    SUPERUSER_EMAIL,
    USER_EMAIL,
    Captured,
    bench_database_url,
    capture_sql,
    explain_plan,
    prepare_schema,
    seed,
)
from commands._bench_load import (
    INSTALL_WRK,
    Load,
    LoadError,
    LoadGenerator,
    LoadRequest,
    LoadResult,
    PythonLoad,
    WrkLoad,
    wrk_version,
)
from commands._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE

HOST = "127.0.0.1"
TRIVIAL_PATH = "/health/live"
LOGIN_PATH = "/api/v1/auth/login"
ADMIN_LIST_PATH = "/api/v1/users?is_active=true&sort=email&limit=50"
SERVER_START_TIMEOUT_SECONDS = 30
SERVER_STOP_TIMEOUT_SECONDS = 10
INDEX_NODES = ("Index Scan", "Index Only Scan", "Bitmap Index Scan")
LOG_TAIL_LINES = 20


class BenchError(Exception):
    """The benchmark could not measure (as opposed to a target not being met)."""


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def progress(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


# --- targets and measurements ---------------------------------------------------


@dataclass(frozen=True)
class Target:
    """`ratio` at least `threshold`, or a latency (ms) below it."""

    metric: Literal["ratio", "p50", "p99"]
    threshold: float

    def describe(self) -> str:
        if self.metric == "ratio":
            return f"ratio >= {self.threshold:g}"
        return f"{self.metric} < {self.threshold:g} ms"

    def met_by(self, row: "Row") -> bool:
        """Met, and measured cleanly: requests answered and no errors."""
        if row.result.requests == 0 or row.result.error_count:
            return False
        if self.metric == "ratio":
            return row.ratio is not None and row.ratio >= self.threshold
        return row.result.latency_ms[self.metric] < self.threshold


@dataclass(frozen=True)
class Row:
    """One measurement: a line of the table."""

    scenario: str
    label: str
    connections: int
    result: LoadResult
    target: Target | None = None
    ratio: float | None = None

    @property
    def passed(self) -> bool | None:
        return None if self.target is None else self.target.met_by(self)

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "connections": self.connections,
            **self.result.as_json(),
            "ratio_to_trivial": None if self.ratio is None else round(self.ratio, 4),
            "target": None if self.target is None else self.target.describe(),
            "passed": self.passed,
        }


def with_ratios(rows: Sequence[Row]) -> list[Row]:
    """Each row's throughput over the trivial route's mean (first and last run).

    Only rows loaded with as many connections as the trivial route get one: a
    single connection's throughput is bounded by its latency, not comparable.
    """
    trivial = [row for row in rows if row.scenario == "trivial"]
    mean = sum(row.result.requests_per_s for row in trivial) / len(trivial)
    if mean <= 0:
        return list(rows)
    return [
        replace(row, ratio=row.result.requests_per_s / mean)
        if row.connections == trivial[0].connections
        else row
        for row in rows
    ]


# --- the server -------------------------------------------------------------------


def server_overrides(url: str) -> dict[str, str]:
    """What the server's environment sets on top of ours: production, measured."""
    return {
        "ENVIRONMENT": "production",
        "DATABASE_URL": url,
        **{name: secrets.token_urlsafe(48) for name in SECRET_NAMES},
        "REFRESH_COOKIE_SECURE": "true",  # production refuses anything else
        "RATE_LIMIT_ENABLED": "false",  # login is hammered on purpose
        "OUTBOX_WORKER_ENABLED": "false",
        "LOG_LEVEL": "WARNING",  # the app's access log lines are INFO
        # Tokens from the scenario's login outlive any --duration.
        "ACCESS_TOKEN_EXPIRE_SECONDS": "3600",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def server_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "app.asgi:app",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-proxy-headers",
    ]


@dataclass(frozen=True)
class Server:
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines()


def server_failure(server: Server, problem: str) -> BenchError:
    log = "\n".join(server.log_lines()[-40:]) or "(nothing)"
    return BenchError(f"{problem}; the server's output:\n{log}")


def wait_until_live(process: subprocess.Popen[bytes], server: Server) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise server_failure(
                server, f"the server exited with status {process.returncode}"
            )
        try:
            response = httpx.get(server.base_url + TRIVIAL_PATH, timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        if response.status_code != 200:
            raise server_failure(
                server,
                f"GET {TRIVIAL_PATH} answered {response.status_code} {response.text}",
            )
        return
    raise server_failure(
        server, f"GET {TRIVIAL_PATH} did not answer in {SERVER_START_TIMEOUT_SECONDS}s"
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(SERVER_STOP_TIMEOUT_SECONDS)
            return
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


@contextmanager
def running_server(environment: dict[str, str], workdir: Path) -> Iterator[Server]:
    """uvicorn serving app.asgi:app on a free port, stopped on the way out."""
    server = Server(port=free_port(), log_path=workdir / "server.log")
    with server.log_path.open("wb") as log:
        process = subprocess.Popen(
            server_command(server.port),
            cwd=PROJECT_ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_live(process, server)
            yield server
        finally:
            stop(process)


# --- scenarios ----------------------------------------------------------------------


def expect(response: httpx.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise BenchError(
            f"{what}: expected {status}, got {response.status_code} "
            f"{response.text[:500]}"
        )


def form(email: str) -> str:
    return urlencode({"username": email, "password": PASSWORD})


FORM_HEADERS = (("Content-Type", "application/x-www-form-urlencoded"),)
JSON_HEADERS = (("Content-Type", "application/json"),)


@dataclass
class Bench:
    """What every scenario uses: an HTTP client for checks, a load generator."""

    http: httpx.Client
    load: LoadGenerator
    duration: int
    warmup: int
    connections: int

    def auth(self, email: str) -> tuple[tuple[str, str], ...]:
        """A fresh access token's header (log in over HTTP)."""
        response = self.http.post(
            LOGIN_PATH,
            content=form(email),
            headers=dict(FORM_HEADERS),
        )
        expect(response, 200, f"POST {LOGIN_PATH} as {email}")
        return (("Authorization", f"Bearer {response.json()['access_token']}"),)

    def check(self, request: LoadRequest, status: int) -> httpx.Response:
        response = self.http.request(
            request.method,
            request.path,
            headers=list(request.headers),
            content=request.body.encode(),
        )
        expect(response, status, f"{request.method} {request.path}")
        return response

    def measure(self, loads: Sequence[Load]) -> list[LoadResult]:
        if self.warmup:
            self.load.run(loads, self.warmup)
        return self.load.run(loads, self.duration)

    def single(
        self,
        scenario: str,
        request: LoadRequest,
        *,
        status: int = 200,
        connections: int | None = None,
        target: Target | None = None,
        label: str | None = None,
    ) -> Row:
        """Check `request`, then load it alone."""
        self.check(request, status)
        connections = connections or self.connections
        (result,) = self.measure([Load(request, connections)])
        label = label or f"{request.method} {request.path}"
        return Row(scenario, label, connections, result, target)


def trivial(bench: Bench, when: str) -> Row:
    request = LoadRequest("GET", TRIVIAL_PATH)
    label = f"GET {TRIVIAL_PATH} (trivial, {when})"
    return bench.single("trivial", request, label=label)


def users_me(bench: Bench) -> list[Row]:
    request = LoadRequest("GET", "/api/v1/users/me", bench.auth(USER_EMAIL))
    return [bench.single("users-me", request, target=Target("ratio", 0.25))]


def items_list(bench: Bench) -> list[Row]:
    request = LoadRequest("GET", "/api/v1/items?limit=100", bench.auth(USER_EMAIL))
    count = len(bench.check(request, 200).json()["items"])
    if count != OWN_ITEMS:
        raise BenchError(f"GET {request.path} listed {count} items, not {OWN_ITEMS}")
    return [bench.single("items-list", request, target=Target("ratio", 0.06))]


def admin_users(bench: Bench) -> list[Row]:
    request = LoadRequest("GET", ADMIN_LIST_PATH, bench.auth(SUPERUSER_EMAIL))
    label = f"GET {ADMIN_LIST_PATH}"
    return [
        bench.single(
            "admin-users",
            request,
            connections=1,
            target=Target("p50", 10),
            label=f"{label} (latency)",
        ),
        bench.single("admin-users", request, label=label),
    ]


def health(bench: Bench) -> list[Row]:
    return [bench.single("health", LoadRequest("GET", "/health"))]


def items_create(bench: Bench) -> list[Row]:
    body = json.dumps(
        {"title": "Bench item", "description": "Created by commands.bench"}
    )
    headers = bench.auth(USER_EMAIL) + JSON_HEADERS
    request = LoadRequest("POST", "/api/v1/items", headers, body)
    return [
        bench.single("items-create", request, status=201, target=Target("ratio", 0.10))
    ]


def login_request() -> LoadRequest:
    return LoadRequest("POST", LOGIN_PATH, FORM_HEADERS, form(USER_EMAIL))


def login(bench: Bench) -> list[Row]:
    return [bench.single("login", login_request())]


def health_under_login(bench: Bench) -> list[Row]:
    """/health on one connection while `connections` hammer login."""
    hammer, probe = login_request(), LoadRequest("GET", "/health")
    bench.check(hammer, 200)
    bench.check(probe, 200)
    login_result, probe_result = bench.measure(
        [Load(hammer, bench.connections), Load(probe, 1)]
    )
    return [
        Row(
            "health-under-login",
            "GET /health while login is hammered",
            1,
            probe_result,
            Target("p99", 50),
        ),
        Row(
            "health-under-login",
            f"POST {LOGIN_PATH} (alongside the /health probe)",
            bench.connections,
            login_result,
        ),
    ]


# In this order: the list is measured before POST items grows it, and the
# writes (items, logins' sessions and audit events) come last.
SCENARIOS: dict[str, Callable[[Bench], list[Row]]] = {
    "users-me": users_me,
    "items-list": items_list,
    "admin-users": admin_users,
    "health": health,
    "items-create": items_create,
    "login": login,
    "health-under-login": health_under_login,
}


def run_scenarios(bench: Bench, chosen: Sequence[str]) -> list[Row]:
    """The trivial route, the chosen scenarios, the trivial route again; ratios."""
    progress(f"loading GET {TRIVIAL_PATH} (first run)")
    rows = [trivial(bench, "first")]
    for name in (name for name in SCENARIOS if name in chosen):
        progress(f"loading {name}")
        rows += SCENARIOS[name](bench)
    progress(f"loading GET {TRIVIAL_PATH} (last run)")
    rows.append(trivial(bench, "last"))
    return with_ratios(rows)


# --- the admin list's plan, captured in-process -------------------------------------


@dataclass(frozen=True)
class Plan:
    statements: list[str]
    plans: list[list[str]]

    @property
    def uses_index(self) -> bool:
        return any(
            node in line for plan in self.plans for line in plan for node in INDEX_NODES
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "path": ADMIN_LIST_PATH,
            "statements": self.statements,
            "plans": self.plans,
            "uses_index": self.uses_index,
        }


def is_listing(query: Captured) -> bool:
    """The admin list's own statements (its page and its count), not auth's."""
    statement = " ".join(query.statement.split())
    listing = "ORDER BY" in statement or "count(" in statement
    return "FROM users" in statement and listing


async def explain_admin_list(settings: Settings) -> Plan:
    app = create_app(settings)
    # GET requests read through the read engine (its own pool on PostgreSQL).
    engine: AsyncEngine = app.state.read_engine
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench"
        ) as http:
            response = await http.post(
                LOGIN_PATH, data={"username": SUPERUSER_EMAIL, "password": PASSWORD}
            )
            expect(response, 200, f"in-process login as {SUPERUSER_EMAIL}")
            token = response.json()["access_token"]
            with capture_sql(engine) as captured:
                response = await http.get(
                    ADMIN_LIST_PATH, headers={"Authorization": f"Bearer {token}"}
                )
            expect(response, 200, f"in-process GET {ADMIN_LIST_PATH}")
        queries = [query for query in captured if is_listing(query)]
        async with engine.connect() as connection:
            plans = [await explain_plan(connection, query) for query in queries]
        return Plan([" ".join(q.statement.split()) for q in queries], plans)
    finally:
        await dispose_engines(app)


# --- the database -------------------------------------------------------------------


async def prepare_database(settings: Settings, users: int, items: int) -> str:
    """Empty, migrate and seed the database; PostgreSQL's version."""
    engine = create_engine(settings)
    try:
        await prepare_schema(engine, settings.DATABASE_URL)
        await seed(engine, settings, users, items)
        async with engine.connect() as connection:
            version = await connection.scalar(text("SHOW server_version"))
        return str(version)
    finally:
        await engine.dispose()


# --- the report ---------------------------------------------------------------------


def cpu_model() -> str | None:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    for line in cpuinfo.splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return None


def git_commit() -> str | None:
    if shutil.which("git") is None:
        return None
    completed = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return completed.stdout.strip() or None


def machine(server_version: str, wrk: str | None) -> dict[str, Any]:
    return {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgresql": server_version,
        "wrk": wrk,
    }


def bench_settings(
    args: argparse.Namespace, settings: Settings, generator: str
) -> dict[str, Any]:
    return {
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "connections": args.connections,
        "users": args.users,
        "items": args.items,
        "scenarios": args.only,
        "load_generator": generator,
        "database": make_url(settings.DATABASE_URL).render_as_string(
            hide_password=True
        ),
        "server": " ".join(server_command(0)[1:]).replace("--port 0", "--port <free>"),
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
        "git_commit": git_commit(),
    }


def cell(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def verdict(row: Row) -> str:
    if row.passed is None:
        return "-"
    return "PASS" if row.passed else "FAIL"


def print_table(rows: Sequence[Row]) -> None:
    width = max(len(row.label) for row in rows)
    header = (
        f"{'endpoint':<{width}} {'conns':>5} {'req/s':>9} {'ratio':>6} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'errors':>6}  {'target':<16} result"
    )
    out(header)
    out("-" * len(header))
    for row in rows:
        latency = row.result.latency_ms
        out(
            f"{row.label:<{width}} {row.connections:>5} "
            f"{row.result.requests_per_s:>9.1f} {cell(row.ratio, 3):>6} "
            f"{latency['p50']:>8.2f} {latency['p99']:>8.2f} "
            f"{row.result.error_count:>6}  "
            f"{row.target.describe() if row.target else '-':<16} {verdict(row)}"
        )


def print_plan(plan: Plan) -> None:
    out(f"\nEXPLAIN (ANALYZE, BUFFERS, COSTS OFF) of GET {ADMIN_LIST_PATH}")
    for statement, lines in zip(plan.statements, plan.plans, strict=True):
        out("\n" + statement)
        for line in lines:
            out(f"    {line}")
    out(f"\nuses an index: {'yes' if plan.uses_index else 'NO'}")


def print_report(rows: Sequence[Row], generator: str, wrk: str | None) -> None:
    runs = [row.result.requests_per_s for row in rows if row.scenario == "trivial"]
    described = f"wrk ({wrk})" if generator == "wrk" else "python (less precise)"
    out(f"\nload generator: {described}")
    out(
        f"ratio = req/s / mean req/s of GET {TRIVIAL_PATH} loaded first and last "
        f"({runs[0]:.1f} and {runs[-1]:.1f}: mean {sum(runs) / len(runs):.1f})"
    )
    out("a target passes only if it is met with 0 errors\n")
    print_table(rows)
    judged = [row for row in rows if row.passed is not None]
    failed = [row for row in judged if not row.passed]
    out(f"\ntargets: {len(judged) - len(failed)} passed, {len(failed)} failed")
    erring = [row for row in rows if row.result.error_count]
    for row in erring:
        out(f"errors in {row.label}: {row.result.errors}")


def print_server_log(lines: Sequence[str]) -> None:
    if not lines:
        return
    out(f"\nthe server logged {len(lines)} lines (warnings and errors); the last:")
    for line in lines[-LOG_TAIL_LINES:]:
        out(f"    {line[:300]}")


def write_json(path: Path, report: dict[str, Any]) -> None:
    path.write_text(json.dumps(report, indent=2) + "\n")
    out(f"\nresults written to {path}")


# --- running it ----------------------------------------------------------------------


def choose_generator(choice: str) -> tuple[str, str | None]:
    """("wrk" or "python", wrk's version line), warning when not wrk."""
    wrk = wrk_version()
    if choice == "wrk" and wrk is None:
        raise BenchError(f"wrk is not installed ({INSTALL_WRK})")
    if choice == "python" or wrk is None:
        reason = (
            "as asked"
            if choice == "python"
            else f"wrk is not installed ({INSTALL_WRK})"
        )
        progress(
            f"Warning: using the Python load generator ({reason}); it is less "
            "precise than wrk: its own overhead is in the latencies it reports"
        )
        return "python", wrk
    return "wrk", wrk


def make_generator(name: str, server: Server, workdir: Path) -> LoadGenerator:
    if name == "wrk":
        return WrkLoad(server.base_url, workdir)
    return PythonLoad(HOST, server.port)


def measure_over_http(
    args: argparse.Namespace, environment: dict[str, str], generator: str
) -> tuple[list[Row], list[str]]:
    """Start the server, run the scenarios; the rows and the server's log."""
    with tempfile.TemporaryDirectory(prefix="gatehouse-bench-") as tmp:
        workdir = Path(tmp)
        with (
            running_server(environment, workdir) as server,
            httpx.Client(base_url=server.base_url, timeout=30) as http,
        ):
            load = make_generator(generator, server, workdir)
            bench = Bench(http, load, args.duration, args.warmup, args.connections)
            rows = run_scenarios(bench, args.only)
        return rows, server.log_lines()  # read once it has stopped


def run(args: argparse.Namespace, url: str, generator: str, wrk: str | None) -> None:
    overrides = server_overrides(url)
    # The settings the server will read: the same environment, the same overrides
    # (strings, parsed as the server parses its environment).
    as_arguments: dict[str, Any] = dict(overrides)
    settings = Settings(**as_arguments)
    progress(f"seeding {args.users} users and {args.items} items")
    server_version = asyncio.run(prepare_database(settings, args.users, args.items))
    rows, log = measure_over_http(args, {**os.environ, **overrides}, generator)
    plan = None
    if "admin-users" in args.only:
        plan = asyncio.run(explain_admin_list(settings))
    print_report(rows, generator, wrk)
    if plan is not None:
        print_plan(plan)
    print_server_log(log)
    write_json(
        args.output,
        {
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(server_version, wrk),
            "settings": bench_settings(args, settings, generator),
            "trivial_route": TRIVIAL_PATH,
            "ratio_basis": "mean req/s of the trivial route's first and last runs",
            "scenarios": scenarios_json(rows),
            "admin_list_plan": None if plan is None else plan.as_json(),
            "server_log": {"lines": len(log), "tail": log[-LOG_TAIL_LINES:]},
        },
    )


def scenarios_json(rows: Sequence[Row]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row.scenario, []).append(row.as_json())
    return grouped


def scenario_list(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown scenario {', '.join(unknown) or value!r}; "
            f"choose from {', '.join(SCENARIOS)}"
        )
    return names


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m commands.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per load")
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of discarded load before each"
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--output", type=Path, default=Path("bench-results.json"))
    parser.add_argument(
        "--load-generator", choices=("auto", "wrk", "python"), default="auto"
    )
    parser.add_argument(
        "--any-database",
        action="store_true",
        help="allow a database whose name does not contain 'bench' (it is emptied)",
    )
    parser.add_argument(
        "--only",
        type=scenario_list,
        default=list(SCENARIOS),
        metavar="SCENARIO[,...]",
        help=f"among {', '.join(SCENARIOS)} (GET {TRIVIAL_PATH} always runs)",
    )
    args = parser.parse_args(argv)
    if args.users < MIN_USERS or args.items < OWN_ITEMS:
        parser.error(f"need --users >= {MIN_USERS} and --items >= {OWN_ITEMS}")
    if args.duration < 1 or args.warmup < 0 or args.connections < 1:
        parser.error("need --duration >= 1, --warmup >= 0 and --connections >= 1")
    if not args.output.parent.is_dir():
        parser.error(f"--output: no directory {args.output.parent}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    url = bench_database_url(args.any_database)
    if url is None:
        return EXIT_USAGE
    try:
        generator, wrk = choose_generator(args.load_generator)
        run(args, url, generator, wrk)
    except (
        BenchError,
        LoadError,
        ValidationError,
        httpx.HTTPError,
        SQLAlchemyError,
        OSError,
    ) as exc:
        sys.stderr.write(f"Error: {type(exc).__name__}: {exc}\n")
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
