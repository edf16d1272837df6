"""The targets of issue 18 (and the latency ones kept from before), judged.

A target passes only when its row, and the row it is compared with, were
measured cleanly (requests in every round, no errors) and the figure meets it.
"""

from dataclasses import dataclass
from typing import Any, Literal

from commands.bench.rows import Table


@dataclass(frozen=True)
class Target:
    """Row `key`'s throughput at least `threshold` x row `basis`'s, or a latency
    (mean over the rounds, ms) below `threshold`."""

    key: str
    metric: Literal["ratio", "p50", "p99"]
    threshold: float
    basis: str | None = None

    def describe(self, table: Table) -> str:
        row = table.row(self.key)
        label = row.label if row else self.key
        if self.metric == "ratio":
            return f"{label} >= {self.threshold:g} x {self.basis}"
        return f"{label}: {self.metric} < {self.threshold:g} ms"


@dataclass(frozen=True)
class Verdict:
    target: Target
    description: str
    measured: float | None
    passed: bool

    @property
    def result(self) -> str:
        return "PASS" if self.passed else "FAIL"

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.description,
            "key": self.target.key,
            "metric": self.target.metric,
            "basis": self.target.basis,
            "threshold": self.target.threshold,
            "measured": None if self.measured is None else round(self.measured, 4),
            "passed": self.passed,
        }


TARGETS = (
    Target("health-live", "ratio", 0.85, "bare"),
    Target("users-me", "ratio", 0.50, "ceiling"),
    Target("users-me", "ratio", 4.0, "stock"),
    Target("items-list", "ratio", 0.08, "bare"),
    Target("items-create", "ratio", 0.15, "bare"),
    Target("admin-users-latency", "p50", 10),
    Target("health-under-login", "p99", 50),
)


def judge(target: Target, table: Table) -> Verdict | None:
    """The verdict, or None when the scenario was not run (`--only`)."""
    row = table.row(target.key)
    if row is None:
        return None
    description = target.describe(table)
    if target.metric != "ratio":
        measured = row.latency_ms(target.metric)
        return Verdict(
            target, description, measured, row.clean and measured < target.threshold
        )
    assert target.basis is not None
    basis = table.row(target.basis)
    ratio = table.ratio(row, target.basis)
    clean = row.clean and basis is not None and basis.clean
    passed = clean and ratio is not None and ratio >= target.threshold
    return Verdict(target, description, ratio, passed)


def verdicts(table: Table) -> list[Verdict]:
    judged = (judge(target, table) for target in TARGETS)
    return [verdict for verdict in judged if verdict is not None]
