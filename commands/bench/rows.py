"""The measurements of every round folded into one row per key, and their ratios.

A row's throughput is the mean over the rounds, its spread (max - min) / mean
of the rounds' throughputs: how much a busy machine moved it. Ratios are taken
against three rows of the same run: the bare app, the ceiling app and the app's
own GET /health/live, and only between rows loaded with the same number of
connections (a single connection's throughput is bounded by its latency).
"""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from commands.bench.load import LoadResult
from commands.bench.scenarios import Measurement

BASES = {"bare": "bare", "ceiling": "ceiling", "live": "health-live"}
LATENCIES = ("p50", "p90", "p99", "max")


@dataclass(frozen=True)
class Row:
    key: str
    server: str
    label: str
    connections: int
    results: tuple[LoadResult, ...]

    @property
    def requests_per_s(self) -> float:
        return statistics.fmean(result.requests_per_s for result in self.results)

    @property
    def spread(self) -> float | None:
        """(max - min) / mean of the rounds' req/s; None with one round."""
        rates = [result.requests_per_s for result in self.results]
        mean = statistics.fmean(rates)
        if len(rates) < 2 or mean <= 0:
            return None
        return (max(rates) - min(rates)) / mean

    def latency_ms(self, name: str) -> float:
        return statistics.fmean(result.latency_ms[name] for result in self.results)

    @property
    def error_count(self) -> int:
        return sum(result.error_count for result in self.results)

    @property
    def clean(self) -> bool:
        """Every round answered requests, none of them with an error."""
        return self.error_count == 0 and all(r.requests for r in self.results)

    def as_json(self, ratios: dict[str, float | None]) -> dict[str, Any]:
        spread = self.spread
        return {
            "key": self.key,
            "server": self.server,
            "label": self.label,
            "connections": self.connections,
            "requests_per_s": round(self.requests_per_s, 1),
            "spread": None if spread is None else round(spread, 4),
            "latency_ms": {name: round(self.latency_ms(name), 3) for name in LATENCIES},
            "errors_total": self.error_count,
            "ratios": {
                name: None if value is None else round(value, 4)
                for name, value in ratios.items()
            },
            "rounds": [result.as_json() for result in self.results],
        }


def fold(measurements: Sequence[Measurement]) -> list[Row]:
    """One row per key, in the order the keys were first measured."""
    grouped: dict[str, list[Measurement]] = {}
    for measurement in measurements:
        grouped.setdefault(measurement.key, []).append(measurement)
    return [
        Row(
            key,
            group[0].server,
            group[0].label,
            group[0].connections,
            tuple(m.result for m in group),
        )
        for key, group in grouped.items()
    ]


@dataclass(frozen=True)
class Table:
    rows: list[Row]

    def row(self, key: str) -> Row | None:
        return next((row for row in self.rows if row.key == key), None)

    def ratio(self, row: Row, basis_key: str) -> float | None:
        basis = self.row(basis_key)
        if basis is None or basis.connections != row.connections:
            return None
        if basis.requests_per_s <= 0:
            return None
        return row.requests_per_s / basis.requests_per_s

    def ratios(self, row: Row) -> dict[str, float | None]:
        return {name: self.ratio(row, key) for name, key in BASES.items()}
