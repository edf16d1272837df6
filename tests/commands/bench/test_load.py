"""The benchmark's load generators against a real HTTP/1.1 server.

The server (asyncio, in a thread) counts what it receives; wrk is the real
binary (`apt-get install wrk`), the asyncio fallback runs in this process.
"""

import asyncio
import json
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from commands.bench.load import INSTALL_WRK, Load, LoadRequest, WrkLoad
from commands.bench.load_asyncio import PythonLoad

# Quotes, a backslash, a newline and non-ASCII: all must reach the server intact.
AWKWARD_BODY = json.dumps({"title": 'say "hi" \\ bye\nnext', "description": "été ✓"})


class CountingServer:
    """HTTP/1.1 with keep-alive on a free port; counts every request it reads.

    GET /ok answers 200 with a Content-Length, GET /chunked 200 in chunks,
    POST /echo 201 (keeping the bodies and headers it got), anything else 404.
    """

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.bodies: Counter[bytes] = Counter()
        self.headers: Counter[tuple[str, str]] = Counter()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "CountingServer":
        self._thread.start()
        assert self._ready.wait(5), "the counting server did not start"
        return self

    def __exit__(self, *_: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0)
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        handlers = asyncio.all_tasks(self._loop)
        for handler in handlers:
            handler.cancel()
        self._loop.run_until_complete(asyncio.gather(*handlers, return_exceptions=True))
        self._loop.close()

    async def _handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")
                method, path, _ = request_line.split(" ")
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(":") for line in lines)
                    if name
                }
                body = await reader.readexactly(int(headers.get("content-length", 0)))
                self.received[f"{method} {path}"] += 1
                if path == "/echo":
                    self.bodies[body] += 1
                    self.headers.update(headers.items())
                writer.write(self._response(method, path))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @staticmethod
    def _response(method: str, path: str) -> bytes:
        if (method, path) == ("GET", "/ok"):
            return b'HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{"status":"ok"}'
        if (method, path) == ("GET", "/chunked"):
            return (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
            )
        if (method, path) == ("POST", "/echo"):
            return b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}"
        return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


@pytest.fixture
def counting_server() -> Iterator[CountingServer]:
    with CountingServer() as server:
        yield server


def get(path: str) -> LoadRequest:
    return LoadRequest("GET", path)


# --- the Python load generator ----------------------------------------------------


def test_python_load_counts_every_request_and_status(
    counting_server: CountingServer,
) -> None:
    generator = PythonLoad("127.0.0.1", counting_server.port)

    ok, missing, chunked = generator.run(
        [Load(get("/ok"), 4), Load(get("/missing"), 1), Load(get("/chunked"), 2)],
        duration=1,
    )

    assert ok.requests > 0
    assert ok.requests == counting_server.received["GET /ok"]
    assert ok.statuses == {"200": ok.requests}
    assert ok.error_count == 0
    assert ok.requests_per_s == pytest.approx(ok.requests / ok.duration_s)
    assert 0 < ok.latency_ms["p50"] <= ok.latency_ms["p99"] <= ok.latency_ms["max"]
    # Like wrk, a status >= 400 counts as an error.
    assert missing.requests == counting_server.received["GET /missing"] > 0
    assert missing.statuses == {"404": missing.requests}
    assert missing.errors["status"] == missing.requests
    assert chunked.requests == counting_server.received["GET /chunked"] > 0
    assert chunked.statuses == {"200": chunked.requests}
    assert chunked.error_count == 0


def test_python_load_counts_refused_connections() -> None:
    with CountingServer() as server:
        port = server.port
    # Nothing listens there any more.

    (result,) = PythonLoad("127.0.0.1", port).run([Load(get("/ok"), 2)], duration=1)

    assert result.requests == 0
    assert result.errors["connect"] > 0


# --- wrk, through its generated Lua script ----------------------------------------


def test_wrk_script_sends_the_request_and_reports_its_summary(
    counting_server: CountingServer, tmp_path: Path
) -> None:
    assert shutil.which("wrk"), f"wrk is needed for this test: {INSTALL_WRK}"
    post = LoadRequest(
        "POST",
        "/echo",
        (("Content-Type", "application/json"), ("X-Bench", 'a "quoted" \\ value')),
        AWKWARD_BODY,
    )
    generator = WrkLoad(f"http://127.0.0.1:{counting_server.port}", tmp_path)

    echoed, missing = generator.run(
        [Load(post, 4), Load(get("/missing"), 1)], duration=1
    )

    received = counting_server.received["POST /echo"]
    assert echoed.requests > 0
    # wrk leaves out requests still in flight when time is up.
    assert echoed.requests <= received <= echoed.requests + 4
    assert counting_server.bodies == {AWKWARD_BODY.encode(): received}
    assert counting_server.headers[("x-bench", 'a "quoted" \\ value')] == received
    assert counting_server.headers[("content-type", "application/json")] == received
    assert echoed.error_count == 0
    assert echoed.bytes > 0
    assert 0.5 < echoed.duration_s < 5
    assert 0 < echoed.latency_ms["p50"] <= echoed.latency_ms["p99"]
    assert echoed.latency_ms["p99"] <= echoed.latency_ms["max"]
    assert missing.requests > 0
    assert missing.errors["status"] == missing.requests
