"""The SQL a request sends, captured in-process, and its EXPLAIN (ANALYZE, BUFFERS).

The app runs in this process through httpx's ASGITransport, with the settings
the benchmark's server used (the same secrets, so tokens and cursors obtained
over HTTP are valid here too); the statements its read engine sends for one
request are captured and explained on the same database.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.core.config import Settings
from app.main import create_app, dispose_engines
from commands.bench.database import PASSWORD

LOGIN_PATH = "/api/v1/auth/login"
INDEX_NODES = ("Index Scan", "Index Only Scan", "Bitmap Index Scan")


class RequestFailed(Exception):
    """A request the benchmark relies on did not answer as expected."""


def expect(response: httpx.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise RequestFailed(
            f"{what}: expected {status}, got {response.status_code} "
            f"{response.text[:500]}"
        )


@dataclass
class Captured:
    statement: str
    parameters: Any

    @property
    def flat(self) -> str:
        return " ".join(self.statement.split())


@contextmanager
def capture_sql(engine: AsyncEngine) -> Iterator[list[Captured]]:
    """Every statement `engine` sends inside the block, with its parameters."""
    captured: list[Captured] = []

    def record(
        conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any
    ) -> None:
        captured.append(Captured(statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield captured
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def explain_plan(connection: AsyncConnection, query: Captured) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) of a captured statement, line by line."""
    plan = await connection.exec_driver_sql(
        "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + query.statement, query.parameters
    )
    return [line for (line,) in plan]


@dataclass(frozen=True)
class PlanRequest:
    """A GET to explain: who sends it, and which of its statements matter."""

    name: str
    email: str
    path: str
    relevant: Callable[[Captured], bool]


@dataclass(frozen=True)
class Plan:
    name: str
    path: str
    statements: list[str]
    plans: list[list[str]]

    @property
    def uses_index(self) -> bool:
        return any(
            node in line for plan in self.plans for line in plan for node in INDEX_NODES
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "statements": self.statements,
            "plans": self.plans,
            "uses_index": self.uses_index,
        }


async def login(http: httpx.AsyncClient, email: str) -> dict[str, str]:
    """The bearer header of a fresh access token for `email`."""
    response = await http.post(
        LOGIN_PATH, data={"username": email, "password": PASSWORD}
    )
    expect(response, 200, f"in-process login as {email}")
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def explain_requests(
    settings: Settings, requests: Sequence[PlanRequest]
) -> list[Plan]:
    """Each request sent in-process, its relevant statements explained."""
    app = create_app(settings)
    # GET requests read through the read engine (its own pool on PostgreSQL).
    engine: AsyncEngine = app.state.read_engine
    plans = []
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench"
        ) as http:
            for request in requests:
                headers = await login(http, request.email)
                with capture_sql(engine) as captured:
                    response = await http.get(request.path, headers=headers)
                expect(response, 200, f"in-process GET {request.path}")
                queries = [query for query in captured if request.relevant(query)]
                async with engine.connect() as connection:
                    explained = [await explain_plan(connection, q) for q in queries]
                statements = [query.flat for query in queries]
                plans.append(Plan(request.name, request.path, statements, explained))
    finally:
        await dispose_engines(app)
    return plans
