"""Load generators for `commands.bench`: wrk, and a small asyncio client.

Both hold N keep-alive HTTP/1.1 connections, each sending one request after the
other for a fixed time, and report the same `LoadResult`: requests, bytes,
errors (connect, read, write, status >= 400, timeout) and latency percentiles.
Several loads given to one `run` call go at the same time (a probe alongside a
hammered endpoint).

wrk (`apt-get install wrk`) is the reference: C, an event loop per thread, an
HdrHistogram of latencies. It is driven by a generated Lua script that sets the
method, headers and body and whose `done()` writes the summary as JSON.

`PythonLoad` is the fallback when wrk is not installed: asyncio streams over
raw sockets in this process. Its own overhead (the GIL, the event loop) is in
the latencies it records and caps the rate it can offer, so its figures are
less precise than wrk's; use it to see the shape, not for the record.
"""

import asyncio
import json
import math
import shutil
import subprocess
import time
from collections import Counter
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


# --- the asyncio fallback -----------------------------------------------------------


class ProtocolError(Exception):
    """A response this client cannot read."""


def raw_request(request: LoadRequest, host: str, port: int) -> bytes:
    body = request.body.encode()
    lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: {host}:{port}"]
    lines.extend(f"{name}: {value}" for name, value in request.headers)
    if body or request.method not in {"GET", "HEAD"}:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    """The status code and the (lower-cased) headers of a response head."""
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"not an HTTP/1.x status line: {status_line!r}")
    headers = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


async def read_chunked(reader: asyncio.StreamReader) -> int:
    size = 0
    while True:
        line = await reader.readuntil(b"\r\n")
        chunk = int(line.split(b";")[0].strip(), 16)
        size += len(line)
        if chunk == 0:
            while (trailer := await reader.readuntil(b"\r\n")) != b"\r\n":
                size += len(trailer)
            return size + 2
        await reader.readexactly(chunk + 2)
        size += chunk + 2


async def read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """(status, bytes read, whether the connection stays open) of one response."""
    head = await reader.readuntil(b"\r\n\r\n")
    status, headers = parse_head(head[:-4])
    if "content-length" in headers:
        length = int(headers["content-length"])
        await reader.readexactly(length)
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        length = await read_chunked(reader)
    else:
        raise ProtocolError("a response with neither Content-Length nor chunks")
    keep_alive = headers.get("connection", "").lower() != "close"
    return status, len(head) + length, keep_alive


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    bytes: int = 0


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of sorted values (0 when there are none)."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summarize(tally: Tally, duration_s: float) -> LoadResult:
    ordered = sorted(tally.latencies_ms)
    errors = {kind: tally.errors[kind] for kind in ERROR_KINDS}
    errors["status"] = sum(n for code, n in tally.statuses.items() if code >= 400)
    return LoadResult(
        requests=len(ordered),
        duration_s=duration_s,
        bytes=tally.bytes,
        errors=errors,
        latency_ms={
            "p50": round(percentile(ordered, 50), 3),
            "p90": round(percentile(ordered, 90), 3),
            "p99": round(percentile(ordered, 99), 3),
            "max": round(ordered[-1], 3) if ordered else 0.0,
        },
        statuses={str(code): n for code, n in sorted(tally.statuses.items())},
    )


Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Connection:
    """One keep-alive connection sending `raw` back to back until `deadline`."""

    def __init__(self, host: str, port: int, raw: bytes, tally: Tally) -> None:
        self.host, self.port, self.raw, self.tally = host, port, raw, tally
        self.stream: Stream | None = None

    async def run(self, deadline: float) -> None:
        try:
            while time.perf_counter() < deadline:
                if self.stream is None:
                    self.stream = await self._connect()
                if self.stream is None:
                    await asyncio.sleep(0.01)
                    continue
                await self._exchange(*self.stream)
        finally:
            self._close()

    async def _connect(self) -> Stream | None:
        try:
            return await asyncio.open_connection(self.host, self.port)
        except OSError:
            self.tally.errors["connect"] += 1
            return None

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        started = time.perf_counter()
        kind = "write"
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
                writer.write(self.raw)
                await writer.drain()
                kind = "read"
                status, size, keep_alive = await read_response(reader)
        except TimeoutError:
            self.tally.errors["timeout"] += 1
            self._close()
            return
        except (
            OSError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ProtocolError,
            ValueError,
        ):
            self.tally.errors[kind] += 1
            self._close()
            return
        self.tally.latencies_ms.append((time.perf_counter() - started) * 1000)
        self.tally.statuses[status] += 1
        self.tally.bytes += size
        if not keep_alive:
            self._close()

    def _close(self) -> None:
        if self.stream is not None:
            self.stream[1].close()
        self.stream = None


async def python_load(
    host: str, port: int, loads: Sequence[Load], duration: float
) -> list[LoadResult]:
    """Every load's connections at once for `duration` seconds."""
    tallies = [Tally() for _ in loads]
    started = time.perf_counter()
    deadline = started + duration
    async with asyncio.TaskGroup() as group:
        for load, tally in zip(loads, tallies, strict=True):
            raw = raw_request(load.request, host, port)
            for _ in range(load.connections):
                group.create_task(Connection(host, port, raw, tally).run(deadline))
    elapsed = time.perf_counter() - started
    return [summarize(tally, elapsed) for tally in tallies]


@dataclass
class PythonLoad:
    host: str
    port: int
    name: str = "python"

    def run(self, loads: Sequence[Load], duration: int) -> list[LoadResult]:
        return asyncio.run(python_load(self.host, self.port, loads, duration))
