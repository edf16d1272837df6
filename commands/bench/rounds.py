"""Rounds: bare, ceiling, stock, app, then again, each server started afresh.

Alternating the servers within one run spreads whatever else the machine does
over all of them alike; the rounds' spread shows how much it moved the figures.
One server runs at a time (so the database sees one pool at a time), and each
one's resident memory is read after start-up and after its loads.
"""

import functools
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from commands.bench.deep_pages import deep_pages
from commands.bench.load import LoadGenerator, WrkLoad
from commands.bench.load_asyncio import PythonLoad
from commands.bench.scenarios import (
    REFERENCES,
    Bench,
    Measurement,
    Scenario,
    Timing,
    admin_users,
    health,
    health_live,
    health_under_login,
    items_create,
    items_list,
    login,
    stats,
    users_me,
)
from commands.bench.server import (
    HOST,
    ProcessMemory,
    Server,
    ServerSpec,
    running_server,
)


def app_scenarios(items: int) -> dict[str, Scenario]:
    """The app's scenarios that can be chosen, in the order they run: reads
    first, then the writes (items, and the logins' sessions and audit events)."""
    return {
        "users-me": users_me,
        "items-list": items_list,
        "admin-users": admin_users,
        "deep-pages": functools.partial(deep_pages, items=items),
        "stats": stats,
        "health": health,
        "items-create": items_create,
        "login": login,
        "health-under-login": health_under_login,
    }


SCENARIO_NAMES = tuple(app_scenarios(0))


def progress(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


@dataclass(frozen=True)
class MemorySample:
    server: str
    round: int
    after_start: list[ProcessMemory]
    after_benchmark: list[ProcessMemory]
    # The server's resident memory (KiB, all its processes) after each scenario:
    # which load made it grow, and whether it levels off.
    after_scenarios: list[tuple[str, int]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "round": self.round,
            "after_start": [process.as_json() for process in self.after_start],
            "after_benchmark": [process.as_json() for process in self.after_benchmark],
            "after_scenarios": [
                {"scenario": name, "vm_rss_kib": kib}
                for name, kib in self.after_scenarios
            ],
        }


@dataclass
class Measured:
    measurements: list[Measurement] = field(default_factory=list)
    memory: list[MemorySample] = field(default_factory=list)
    logs: dict[str, list[str]] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rounds:
    repeats: int
    timing: Timing
    workers: int
    generator: str  # "wrk" or "python"


def make_generator(name: str, server: Server, workdir: Path) -> LoadGenerator:
    if name == "wrk":
        return WrkLoad(server.base_url, workdir)
    return PythonLoad(HOST, server.port)


def reference_servers(
    specs: Sequence[ServerSpec],
) -> list[tuple[ServerSpec, list[Scenario]]]:
    return [(spec, [REFERENCES[spec.name]]) for spec in specs]


def app_server(
    spec: ServerSpec, chosen: Sequence[str], items: int
) -> tuple[ServerSpec, list[Scenario]]:
    scenarios = app_scenarios(items)
    return spec, [
        health_live,
        *(scenarios[name] for name in scenarios if name in chosen),
    ]


def scenario_name(scenario: Scenario) -> str:
    function = getattr(scenario, "func", scenario)  # functools.partial
    return str(getattr(function, "__name__", "scenario")).replace("_", "-")


def total_rss(processes: Sequence[ProcessMemory]) -> int:
    return sum(process.rss_kib for process in processes)


def run_rounds(
    servers: Sequence[tuple[ServerSpec, Sequence[Scenario]]],
    rounds: Rounds,
    environment: Mapping[str, str],
    workdir: Path,
) -> Measured:
    measured = Measured()
    for number in range(1, rounds.repeats + 1):
        for spec, scenarios in servers:
            progress(f"round {number}/{rounds.repeats}: {spec.name}")
            with (
                running_server(spec, environment, workdir, rounds.workers) as server,
                httpx.Client(base_url=server.base_url, timeout=30) as http,
            ):
                started = server.memory()
                load = make_generator(rounds.generator, server, workdir)
                bench = Bench(spec.name, http, load, rounds.timing, measured.memo)
                growth = []
                for scenario in scenarios:
                    measured.measurements += scenario(bench)
                    growth.append((scenario_name(scenario), total_rss(server.memory())))
                finished = server.memory()
            measured.memory.append(
                MemorySample(spec.name, number, started, finished, growth)
            )
            # Read once the server has stopped: its last lines are in.
            measured.logs.setdefault(spec.name, []).extend(server.log_lines())
    return measured
