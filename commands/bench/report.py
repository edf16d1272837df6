"""The report: tables on stdout, everything in a JSON file.

Tables: every row with its throughput, spread over the rounds, ratios to bare,
ceiling and /health/live, latencies and errors; the targets as PASS/FAIL; each
server's resident memory after start-up and after its loads; the plans; the
tail of what the servers logged (warnings and errors only).
"""

import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.core.config import PROJECT_ROOT
from commands.bench.plans import Plan
from commands.bench.rounds import MemorySample
from commands.bench.rows import Table
from commands.bench.targets import Verdict

LOG_TAIL_LINES = 20
KIB_PER_MIB = 1024


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# --- the machine --------------------------------------------------------------------


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


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages: how busy the machine was."""
    return [round(value, 2) for value in os.getloadavg()]


def machine(server_version: str, wrk: str | None) -> dict[str, Any]:
    return {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgresql": server_version,
        "wrk": wrk,
        "git_commit": git_commit(),
    }


# --- tables -------------------------------------------------------------------------


def cell(value: float | None, digits: int, suffix: str = "") -> str:
    return "-" if value is None else f"{value:.{digits}f}{suffix}"


def print_rows(table: Table) -> None:
    width = max(len(row.label) for row in table.rows)
    header = (
        f"{'endpoint':<{width}} {'server':<7} {'conns':>5} {'req/s':>9} "
        f"{'spread':>6} {'xbare':>6} {'xceil':>6} {'xlive':>6} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"
    )
    out(header)
    out("-" * len(header))
    for row in table.rows:
        spread = None if row.spread is None else row.spread * 100
        ratios = table.ratios(row)
        out(
            f"{row.label:<{width}} {row.server:<7} {row.connections:>5} "
            f"{row.requests_per_s:>9.1f} {cell(spread, 1, '%'):>6} "
            f"{cell(ratios['bare'], 3):>6} {cell(ratios['ceiling'], 3):>6} "
            f"{cell(ratios['live'], 3):>6} "
            f"{row.latency_ms('p50'):>8.2f} {row.latency_ms('p99'):>8.2f} "
            f"{row.error_count:>6}"
        )


def print_verdicts(verdicts: Sequence[Verdict]) -> None:
    if not verdicts:
        return
    width = max(len(verdict.description) for verdict in verdicts)
    out(f"\n{'target':<{width}} {'measured':>9}  result")
    for verdict in verdicts:
        out(
            f"{verdict.description:<{width}} {cell(verdict.measured, 3):>9}  "
            f"{verdict.result}"
        )
    failed = sum(not verdict.passed for verdict in verdicts)
    out(f"targets: {len(verdicts) - failed} passed, {failed} failed")


def mebibytes(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / KIB_PER_MIB:.1f}"


def print_memory(samples: Sequence[MemorySample]) -> None:
    out("\nresident memory (VmRSS, MiB)")
    header = (
        f"{'server':<8} {'round':>5} {'process':<16} {'pid':>8} "
        f"{'after start-up':>15} {'after benchmark':>16}"
    )
    out(header)
    out("-" * len(header))
    for sample in samples:
        after = {process.pid: process.rss_kib for process in sample.after_benchmark}
        for process in sample.after_start:
            out(
                f"{sample.server:<8} {sample.round:>5} {process.role:<16} "
                f"{process.pid:>8} {mebibytes(process.rss_kib):>15} "
                f"{mebibytes(after.get(process.pid)):>16}"
            )
    growing = [sample for sample in samples if len(sample.after_scenarios) > 1]
    if growing:
        out("\nresident memory after each scenario (MiB, the server's processes)")
        for sample in growing:
            steps = ", ".join(
                f"{name} {mebibytes(kib)}" for name, kib in sample.after_scenarios
            )
            out(f"{sample.server} round {sample.round}: {steps}")


def print_plans(plans: Sequence[Plan]) -> None:
    for plan in plans:
        out(f"\nEXPLAIN (ANALYZE, BUFFERS, COSTS OFF): {plan.name}, GET {plan.path}")
        for statement, lines in zip(plan.statements, plan.plans, strict=True):
            out("\n" + statement)
            for line in lines:
                out(f"    {line}")
        out(f"\nuses an index: {'yes' if plan.uses_index else 'NO'}")


def print_server_logs(logs: dict[str, list[str]]) -> None:
    for server, lines in logs.items():
        if not lines:
            continue
        out(f"\n{server} logged {len(lines)} lines (warnings and errors); the last:")
        for line in lines[-LOG_TAIL_LINES:]:
            out(f"    {line[:300]}")


def print_report(
    table: Table,
    verdicts: Sequence[Verdict],
    samples: Sequence[MemorySample],
    described_generator: str,
    repeats: int,
) -> None:
    bases = ", ".join(
        f"{name} {cell(row.requests_per_s, 1)} req/s"
        for name, row in (
            ("bare", table.row("bare")),
            ("ceiling", table.row("ceiling")),
            ("/health/live", table.row("health-live")),
        )
        if row is not None
    )
    out(f"\nload generator: {described_generator}")
    out(
        f"{repeats} round(s) of bare, ceiling, stock, app; figures are means over "
        "the rounds, spread = (max - min) / mean of their req/s"
    )
    out(f"ratios to the same run's {bases}")
    out("a target passes only if it is met with 0 errors\n")
    print_rows(table)
    print_verdicts(verdicts)
    print_memory(samples)
    erring = [row for row in table.rows if row.error_count]
    for row in erring:
        out(f"errors in {row.label}: {[r.errors for r in row.results]}")


def rows_json(table: Table) -> list[dict[str, Any]]:
    return [row.as_json(table.ratios(row)) for row in table.rows]


def write_json(path: Path, report: dict[str, Any]) -> None:
    path.write_text(json.dumps(report, indent=2) + "\n")
    out(f"\nresults written to {path}")
