"""The load generator used when wrk is not installed: asyncio in this process.

Raw sockets and asyncio streams, the same contract as wrk (see
`commands.bench.load`). Its own overhead (the GIL, the event loop) is in the
latencies it records and caps the rate it can offer, so its figures are less
precise than wrk's; use it to see the shape, not for the record.
"""

import asyncio
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from commands.bench.load import (
    ERROR_KINDS,
    REQUEST_TIMEOUT_SECONDS,
    Load,
    LoadRequest,
    LoadResult,
)


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
