"""HTTP servers as production runs them: uvicorn subprocesses, and their memory.

Every server the benchmark measures (the app and the reference apps) gets the
same uvicorn settings as `start.sh` in production: `--workers` (one by
default), uvloop, httptools, no reload, no access log, no proxy headers. Each
listens on a free port of 127.0.0.1 and logs to a file of the run's directory.
Resident memory is read from /proc/PID/status (VmRSS) for the server process
and, with several workers, for each worker.
"""

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from app.core.config import PROJECT_ROOT

HOST = "127.0.0.1"
# Generous: on a busy machine uvicorn may restart a slow worker (its health check).
START_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 10
LOG_TAIL_LINES = 40


class ServerError(Exception):
    """A server did not start, or answered its readiness check wrongly."""


@dataclass(frozen=True)
class ServerSpec:
    """What to serve: `target` is uvicorn's "module:attribute" (a factory if so)."""

    name: str
    target: str
    ready_path: str
    environment: Mapping[str, str] = field(default_factory=dict)
    factory: bool = False


def server_command(spec: ServerSpec, port: int | str, workers: int) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        spec.target,
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-proxy-headers",
    ]
    return [*command, "--factory"] if spec.factory else command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


# --- resident memory ----------------------------------------------------------------


@dataclass(frozen=True)
class ProcessMemory:
    pid: int
    role: str  # "server"; with several workers "supervisor", "worker" ...
    rss_kib: int

    def as_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "role": self.role, "vm_rss_kib": self.rss_kib}


def vm_rss_kib(pid: int) -> int | None:
    """VmRSS of a live process in KiB, None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


def child_pids(parent: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return sorted(children)


def child_role(pid: int) -> str:
    """ "worker", or "resource-tracker" for the helper multiprocessing starts."""
    try:
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "worker"
    return "resource-tracker" if b"resource_tracker" in command_line else "worker"


def worker_pids(parent: int) -> list[int]:
    return [pid for pid in child_pids(parent) if child_role(pid) == "worker"]


def resident_memory(pid: int) -> list[ProcessMemory]:
    """The server process's memory, or the supervisor's and each child's."""
    children = child_pids(pid)
    processes = [(pid, "supervisor" if children else "server")]
    processes += [(child, child_role(child)) for child in children]
    measured = [(p, role, vm_rss_kib(p)) for p, role in processes]
    return [ProcessMemory(p, role, rss) for p, role, rss in measured if rss is not None]


# --- running one ----------------------------------------------------------------------


@dataclass
class Server:
    spec: ServerSpec
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines()

    def memory(self) -> list[ProcessMemory]:
        return [] if self.process is None else resident_memory(self.process.pid)

    def failure(self, problem: str) -> ServerError:
        log = "\n".join(self.log_lines()[-LOG_TAIL_LINES:]) or "(nothing)"
        return ServerError(f"{self.spec.name}: {problem}; its output:\n{log}")


def wait_until_ready(server: Server, workers: int) -> None:
    assert server.process is not None
    url = server.base_url + server.spec.ready_path
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise server.failure(f"exited with status {server.process.returncode}")
        try:
            response = httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        if response.status_code != 200:
            raise server.failure(
                f"GET {server.spec.ready_path} answered "
                f"{response.status_code} {response.text[:300]}"
            )
        # With several workers, one answering does not mean all have started.
        if workers == 1 or len(worker_pids(server.process.pid)) >= workers:
            return
        time.sleep(0.1)
    raise server.failure(f"not ready within {START_TIMEOUT_SECONDS}s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
            return
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


@contextmanager
def running_server(
    spec: ServerSpec, base_environment: Mapping[str, str], workdir: Path, workers: int
) -> Iterator[Server]:
    """`spec` served on a free port until the block ends; its log in `workdir`."""
    server = Server(spec, free_port(), workdir / f"{spec.name}-{time.time_ns()}.log")
    with server.log_path.open("wb") as log:
        server.process = subprocess.Popen(
            server_command(spec, server.port, workers),
            cwd=PROJECT_ROOT,
            env={**base_environment, **spec.environment},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_ready(server, workers)
            yield server
        finally:
            stop(server.process)
