"""Load generation: what a load is and what it measured, and wrk driving it.

Every generator holds N keep-alive HTTP/1.1 connections, each sending one
request after the other for a fixed time, and reports the same `LoadResult`:
requests, bytes, errors (connect, read, write, status >= 400, timeout) and
latency percentiles. Several loads given to one `run` call go at the same time
(a probe alongside a hammered endpoint).

wrk (`apt-get install wrk`) is the reference: C, an event loop per thread, an
HdrHistogram of latencies. It is driven by a generated Lua script that sets the
method, headers and body and whose `done()` writes the summary as JSON. The
fallback without wrk is `commands.bench.load_asyncio`.
"""

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

# Generous, so that a slow request is measured rather than dropped: wrk leaves
# requests slower than its timeout out of the latency histogram.
REQUEST_TIMEOUT_SECONDS = 10
ERROR_KINDS = ("connect", "read", "write", "status", "timeout")
WRK_THREADS = 2
INSTALL_WRK = "apt-get install wrk"


class LoadError(Exception):
    """The load generator itself failed (not the server under load)."""


@dataclass(frozen=True)
class LoadRequest:
    """The request every connection of a load sends, over and over."""

    method: str
    path: str  # with its query string
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""


@dataclass(frozen=True)
class Load:
    request: LoadRequest
    connections: int


@dataclass(frozen=True)
class LoadResult:
    requests: int
    duration_s: float
    bytes: int
    errors: dict[str, int]
    latency_ms: dict[str, float]  # p50, p90, p99, max
    # Responses by status code (the Python generator only; wrk does not say).
    statuses: dict[str, int] | None = None

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "requests": self.requests,
            "duration_s": round(self.duration_s, 3),
            "requests_per_s": round(self.requests_per_s, 1),
            "bytes": self.bytes,
            "latency_ms": self.latency_ms,
            "errors": self.errors,
            "errors_total": self.error_count,
        }
        if self.statuses is not None:
            data["statuses"] = self.statuses
        return data


class LoadGenerator(Protocol):
    name: str

    def run(self, loads: Sequence[Load], duration: int) -> list[LoadResult]:
        """Run `loads` at the same time for `duration` seconds; one result each."""
        ...


# --- wrk --------------------------------------------------------------------------


def wrk_version() -> str | None:
    """wrk's version line, or None when wrk is not on PATH."""
    executable = shutil.which("wrk")
    if executable is None:
        return None
    completed = subprocess.run(
        [executable, "-v"], capture_output=True, text=True, timeout=10, check=False
    )
    lines = (completed.stdout + completed.stderr).strip().splitlines()
    return lines[0].strip() if lines else "wrk (unknown version)"


def lua_string(value: str) -> str:
    """A Lua string literal for `value` (UTF-8 bytes; controls escaped)."""
    parts = []
    for byte in value.encode():
        char = chr(byte)
        if char in '"\\':
            parts.append("\\" + char)
        elif 32 <= byte < 127:
            parts.append(char)
        else:
            parts.append(f"\\{byte:03d}")
    return '"' + "".join(parts) + '"'


LUA_DONE = """
function done(summary, latency, requests)
  local e = summary.errors
  local mean = latency.mean
  if mean ~= mean then mean = 0 end  -- NaN when nothing was measured
  local file = assert(io.open(%(path)s, "w"))
  file:write(string.format(
    '{"requests": %%.0f, "duration_us": %%.0f, "bytes": %%.0f, ' ..
    '"errors": {"connect": %%.0f, "read": %%.0f, "write": %%.0f, ' ..
    '"status": %%.0f, "timeout": %%.0f}, ' ..
    '"latency_us": {"p50": %%.0f, "p90": %%.0f, "p99": %%.0f, ' ..
    '"max": %%.0f, "mean": %%.3f}}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, mean))
  file:close()
end
"""


def lua_script(request: LoadRequest, result_path: Path) -> str:
    """A wrk script sending `request` and writing its summary to `result_path`."""
    lines = [f"wrk.method = {lua_string(request.method)}"]
    if request.body:
        lines.append(f"wrk.body = {lua_string(request.body)}")
    lines.extend(
        f"wrk.headers[{lua_string(name)}] = {lua_string(value)}"
        for name, value in request.headers
    )
    return "\n".join(lines) + "\n" + LUA_DONE % {"path": lua_string(str(result_path))}


def parse_wrk_result(text: str) -> LoadResult:
    """The JSON the generated `done()` wrote, in the units the bench reports."""
    data = json.loads(text)
    latency = data["latency_us"]
    return LoadResult(
        requests=int(data["requests"]),
        duration_s=data["duration_us"] / 1_000_000,
        bytes=int(data["bytes"]),
        errors={kind: int(data["errors"][kind]) for kind in ERROR_KINDS},
        latency_ms={
            name: round(latency[name] / 1000, 3)
            for name in ("p50", "p90", "p99", "max")
        },
    )


def wrk_command(
    executable: str, url: str, connections: int, duration: int, script: Path
) -> list[str]:
    return [
        executable,
        f"-t{min(WRK_THREADS, connections)}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        f"{REQUEST_TIMEOUT_SECONDS}s",
        "-s",
        str(script),
        url,
    ]


@dataclass
class WrkLoad:
    """wrk against `base_url`; scripts and results go to `workdir`."""

    base_url: str
    workdir: Path
    executable: str = field(default_factory=lambda: shutil.which("wrk") or "wrk")
    name: str = "wrk"
    _runs: int = 0

    def run(self, loads: Sequence[Load], duration: int) -> list[LoadResult]:
        started = [self._start(load, duration) for load in loads]
        return [run.finish(duration) for run in started]

    def _start(self, load: Load, duration: int) -> "WrkRun":
        self._runs += 1
        script = self.workdir / f"wrk-{self._runs}.lua"
        result = self.workdir / f"wrk-{self._runs}.json"
        script.write_text(lua_script(load.request, result))
        command = wrk_command(
            self.executable,
            self.base_url + load.request.path,
            load.connections,
            duration,
            script,
        )
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        return WrkRun(process, command, result)


@dataclass(frozen=True)
class WrkRun:
    process: subprocess.Popen[str]
    command: list[str]
    result: Path

    def finish(self, duration: int) -> LoadResult:
        shown = " ".join(self.command)
        try:
            stdout, stderr = self.process.communicate(timeout=duration + 60)
        except subprocess.TimeoutExpired as exc:
            self.process.kill()
            self.process.communicate()
            raise LoadError(f"wrk did not finish: {shown}") from exc
        if self.process.returncode != 0 or not self.result.exists():
            raise LoadError(
                f"wrk failed (exit {self.process.returncode}): {shown}\n"
                f"{stdout}{stderr}"
            )
        return parse_wrk_result(self.result.read_text())
