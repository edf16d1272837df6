"""`python -m commands.bench`: its guards, and short real runs.

The real runs seed a PostgreSQL database of their own (created for this test
run under a unique name, dropped after it), start the reference apps and the
app with uvicorn, and load them with wrk for a second at a time. Nothing here
asserts a speed: only that every figure was measured, and that the ratios,
verdicts and memory figures are computed from the measurements.
"""

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import URL, make_url

from app.core.config import PROJECT_ROOT
from commands._common import EXIT_CONFIG, EXIT_OK, EXIT_REFUSED
from commands.bench.cli import main

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"
SERVERS = ("bare", "ceiling", "stock", "app")
REPEATS = 2
SCENARIOS = ("users-me", "items-create", "admin-users", "deep-pages")
COMMAND_TIMEOUT_SECONDS = 900


def postgresql_server() -> str:
    """The PostgreSQL server of TEST_DATABASE_URL when it is one, else the local."""
    url = make_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_SERVER)
    if url.get_backend_name() != "postgresql":
        url = make_url(DEFAULT_SERVER)
    server = URL.create("postgresql", url.username, url.password, url.host, url.port)
    return server.render_as_string(hide_password=False)


async def admin(statement: str) -> None:
    connection = await asyncpg.connect(f"{postgresql_server()}/postgres")
    try:
        # asyncpg runs statements outside a transaction, as CREATE DATABASE needs.
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def bench_database() -> Iterator[str]:
    """A database of this test run only: a second run at once gets its own."""
    name = f"gatehouse_bench_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{postgresql_server()}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# --- the guards ---------------------------------------------------------------------


@pytest.mark.parametrize("subcommand", [[], ["lists"]])
def test_a_database_without_bench_in_its_name_is_refused(
    subcommand: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # Nothing listens on port 1: had the command connected, it would have failed
    # otherwise than with the refusal.
    monkeypatch.setenv(
        "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/gatehouse_precious"
    )
    monkeypatch.chdir(tmp_path)

    assert main(subcommand) == EXIT_REFUSED

    assert "refusing to empty database 'gatehouse_precious'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_sqlite_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BENCH_DATABASE_URL", "sqlite:///bench.db")

    assert main([]) == EXIT_REFUSED
    assert "must point at PostgreSQL" in capsys.readouterr().err


def test_invalid_settings_fail_before_anything_is_touched(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv(
        "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/gatehouse_bench_x"
    )
    monkeypatch.setenv("DATABASE_POOL_SIZE", "0")
    output = tmp_path / "bench-results.json"

    assert main(["--output", str(output)]) == EXIT_CONFIG

    assert "ValidationError" in capsys.readouterr().err
    assert not output.exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--only", "users-me,nope"], "unknown scenario 'nope'"),
        (["--repeats", "0"], "--repeats >= 1"),
        (["--users", "2"], "--users >="),
        (["lists", "--requests", "1"], "--requests >= 2"),
    ],
)
def test_bad_arguments_are_refused(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(arguments)

    assert exited.value.code != EXIT_OK
    assert message in capsys.readouterr().err


# --- short real runs, through the documented command line --------------------------


@dataclass(frozen=True)
class Run:
    report: dict[str, Any]
    stdout: str

    def rows(self) -> dict[str, dict[str, Any]]:
        return {row["key"]: row for row in self.report["rows"]}


def run_command(database: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "commands.bench", *arguments],
        cwd=PROJECT_ROOT,
        env={**os.environ, "BENCH_DATABASE_URL": database},
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )


@pytest.fixture(scope="module")
def small_run(bench_database: str, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One short run of every server, two rounds, the chosen app scenarios."""
    output = tmp_path_factory.mktemp("bench") / "bench-results.json"
    completed = run_command(
        bench_database,
        "--users", "30",
        "--items", "1000",
        "--duration", "1",
        "--warmup", "0",
        "--repeats", str(REPEATS),
        "--only", ",".join(SCENARIOS),
        "--output", str(output),
    )  # fmt: skip
    assert completed.returncode == EXIT_OK, completed.stderr[-3000:]
    return Run(json.loads(output.read_text()), completed.stdout)


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def round_rates(row: dict[str, Any]) -> list[float]:
    """Each round's req/s, from its unrounded parts."""
    return [m["requests"] / m["duration_s"] for m in row["rounds"]]


def test_every_server_answered_in_every_round_without_errors(small_run: Run) -> None:
    rows = small_run.rows()

    assert {row["server"] for row in rows.values()} == set(SERVERS)
    assert set(rows) == {
        "bare",
        "ceiling",
        "stock",
        "health-live",
        "users-me",
        "admin-users-latency",
        "admin-users",
        "deep-pages-all-first",
        "deep-pages-all-deep",
        "deep-pages-owner-first",
        "deep-pages-owner-deep",
        "items-create",
    }
    for row in rows.values():
        assert len(row["rounds"]) == REPEATS, row["key"]
        assert all(measured["requests"] > 0 for measured in row["rounds"]), row
        assert row["errors_total"] == 0, row
    assert small_run.report["settings"]["generator"] == "wrk"
    assert small_run.report["machine"]["postgresql"]
    assert len(small_run.report["load_average"]["before"]) == 3


def test_figures_and_ratios_are_computed_from_the_rounds(small_run: Run) -> None:
    rows = small_run.rows()
    bases = {"bare": rows["bare"], "ceiling": rows["ceiling"]}
    bases["live"] = rows["health-live"]

    for row in rows.values():
        rates = round_rates(row)
        assert row["requests_per_s"] == pytest.approx(mean(rates), rel=1e-3, abs=0.06)
        spread = (max(rates) - min(rates)) / mean(rates)
        assert row["spread"] == pytest.approx(spread, rel=1e-2, abs=1e-3)
        for name, basis in bases.items():
            if row["connections"] != basis["connections"]:
                # One connection's throughput is bounded by its latency.
                assert row["ratios"][name] is None
                continue
            basis_rates = round_rates(basis)
            ratio = mean(rates) / mean(basis_rates)
            # The rounds' rates are reported to 0.1 request/s and the ratio to
            # four places: a short run's small rates carry that rounding.
            rounding = 2 * 0.05 / min(rates + basis_rates)
            assert row["ratios"][name] == pytest.approx(
                ratio, rel=max(1e-3, rounding), abs=1e-4
            )
    assert rows["admin-users-latency"]["connections"] == 1
    assert rows["users-me"]["ratios"]["ceiling"] > 0
    header = next(line for line in small_run.stdout.splitlines() if "xbare" in line)
    assert header.split()[5:8] == ["xbare", "xceil", "xlive"]
    for row in rows.values():
        assert row["label"] in small_run.stdout


def test_targets_are_judged_pass_or_fail_from_the_measurements(
    small_run: Run,
) -> None:
    rows = small_run.rows()
    verdicts = small_run.report["targets"]

    # Issue 18's targets, for the scenarios chosen.
    judged = [(v["key"], v["basis"] or v["metric"], v["threshold"]) for v in verdicts]
    assert judged == [
        ("health-live", "bare", 0.85),
        ("users-me", "ceiling", 0.5),
        ("users-me", "stock", 4),
        ("items-create", "bare", 0.15),
        ("admin-users-latency", "p50", 10),
    ]
    for verdict in verdicts:
        row = rows[verdict["key"]]
        if verdict["metric"] == "ratio":
            basis = rows[verdict["basis"]]
            measured = mean(round_rates(row)) / mean(round_rates(basis))
            passed = measured >= verdict["threshold"]
        else:
            measured = mean([r["latency_ms"]["p50"] for r in row["rounds"]])
            passed = measured < verdict["threshold"]
        assert verdict["measured"] == pytest.approx(measured, rel=1e-3, abs=1e-4)
        # Every row was measured cleanly, so only the figure decides (unless it
        # is closer to the threshold than the report's rounding can tell).
        if abs(measured - verdict["threshold"]) > 1e-3 * verdict["threshold"]:
            assert verdict["passed"] is passed
        (line,) = [
            line
            for line in small_run.stdout.splitlines()
            if line.startswith(verdict["target"] + " ")
        ]
        *_, printed_measure, printed_result = line.split()
        assert float(printed_measure) == pytest.approx(measured, rel=1e-3, abs=2e-3)
        assert printed_result == ("PASS" if verdict["passed"] else "FAIL")


def test_each_servers_memory_is_read_after_start_up_and_after_its_loads(
    small_run: Run,
) -> None:
    samples = small_run.report["memory"]

    assert [(s["server"], s["round"]) for s in samples] == [
        (server, number) for number in range(1, REPEATS + 1) for server in SERVERS
    ]
    for sample in samples:
        for moment in ("after_start", "after_benchmark"):
            (process,) = sample[moment]  # one worker: the server process itself
            assert process["role"] == "server"
            assert process["vm_rss_kib"] > 0
        assert sample["after_start"][0]["pid"] == sample["after_benchmark"][0]["pid"]
    # Every round starts each server afresh.
    app_pids = {s["after_start"][0]["pid"] for s in samples if s["server"] == "app"}
    assert len(app_pids) == REPEATS
    assert "resident memory (VmRSS, MiB)" in small_run.stdout


def test_deep_pages_are_reached_timed_and_explained(small_run: Run) -> None:
    every, owner = small_run.report["deep_pages"]

    assert every["list"] == "every item (superuser)"
    assert every["deep_page"] == 1000 // 100
    assert owner["seeded_rows"] == (1000 - 100) // 10
    for pages in (every, owner):
        assert pages["paging"] in {"cursor", "offset"}
        if pages["paging"] == "offset" and pages["deep_page"] > 1:
            assert pages["deep_path"].endswith(
                f"offset={(pages['deep_page'] - 1) * 100}"
            )
    plans = {plan["name"]: plan for plan in small_run.report["plans"]}
    assert set(plans) == {
        "admin list",
        "every item (superuser), page 1",
        "every item (superuser), deep page",
        "one owner's items, page 1",
        "one owner's items, deep page",
    }
    for plan in plans.values():
        assert plan["statements"], plan["name"]
        assert all(lines for lines in plan["plans"]), plan["name"]
        assert isinstance(plan["uses_index"], bool)
    assert plans["every item (superuser), deep page"]["path"] == every["deep_path"]


def test_the_lists_benchmark_measures_and_explains_every_scenario(
    bench_database: str,
) -> None:
    completed = run_command(
        bench_database, "lists", "--users", "30", "--items", "300", "--requests", "3"
    )

    assert completed.returncode == EXIT_OK, completed.stderr[-3000:]
    assert "seeded 30 users and 300 items" in completed.stdout
    assert "GET /api/v1/items, 3 sequential requests each (ms)" in completed.stdout
    for name in ("superuser: newest first", "user: created in a window"):
        assert name in completed.stdout
        assert f"=== {name}" in completed.stdout
    assert "Index" in completed.stdout
