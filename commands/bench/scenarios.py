"""What is loaded: the reference apps' one route each, and the app's scenarios.

A scenario logs in afresh where it needs to, checks that one request answers
as expected (a benchmark of errors measures nothing), then loads it and returns
its measurements, each with a stable key the report and the targets refer to.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from commands.bench.database import (
    OPERATOR_EMAIL,
    OWN_ITEMS,
    PASSWORD,
    STOCK_EMAIL,
    SUPERUSER_EMAIL,
    USER_EMAIL,
    WRITER_EMAIL,
)
from commands.bench.load import Load, LoadGenerator, LoadRequest, LoadResult
from commands.bench.plans import LOGIN_PATH, RequestFailed, expect
from commands.bench.references import (
    BARE_PATH,
    CEILING_PATH,
    STOCK_LOGIN_PATH,
    STOCK_ME_PATH,
)

LIVE_PATH = "/health/live"
ME_PATH = "/api/v1/users/me"
ITEMS_LIST_PATH = "/api/v1/items?limit=100"
ADMIN_LIST_PATH = "/api/v1/users?is_active=true&sort=email&limit=50"
# Permission-checked (stats:read), asked by a user who holds it through a role:
# the app caches the answer, so what it costs is authentication, the permission
# check and serialising the figures.
STATS_PATH = "/api/v1/stats"
FORM_HEADERS = (("Content-Type", "application/x-www-form-urlencoded"),)
JSON_HEADERS = (("Content-Type", "application/json"),)


@dataclass(frozen=True)
class Measurement:
    """One load of one round: `key` names it across rounds."""

    key: str
    server: str
    label: str
    connections: int
    result: LoadResult


@dataclass(frozen=True)
class Timing:
    duration: int
    warmup: int
    connections: int


@dataclass
class Bench:
    """One running server, what every scenario uses against it."""

    server: str
    http: httpx.Client
    load: LoadGenerator
    timing: Timing
    # Kept across the rounds of one run (the deep pages' paths).
    memo: dict[str, Any] = field(default_factory=dict)

    def login(self, email: str, path: str = LOGIN_PATH) -> tuple[tuple[str, str]]:
        """A fresh access token's header (log in over HTTP)."""
        form = urlencode({"username": email, "password": PASSWORD})
        response = self.http.post(path, content=form, headers=dict(FORM_HEADERS))
        expect(response, 200, f"POST {path} as {email}")
        return (("Authorization", f"Bearer {response.json()['access_token']}"),)

    def check(self, request: LoadRequest, status: int = 200) -> httpx.Response:
        response = self.http.request(
            request.method,
            request.path,
            headers=list(request.headers),
            content=request.body.encode(),
        )
        expect(response, status, f"{self.server}: {request.method} {request.path}")
        return response

    def measure(self, loads: Sequence[Load]) -> list[LoadResult]:
        if self.timing.warmup:
            self.load.run(loads, self.timing.warmup)
        return self.load.run(loads, self.timing.duration)

    def single(
        self,
        key: str,
        request: LoadRequest,
        *,
        status: int = 200,
        connections: int | None = None,
        label: str | None = None,
    ) -> Measurement:
        """Check `request`, then load it alone."""
        self.check(request, status)
        connections = connections or self.timing.connections
        (result,) = self.measure([Load(request, connections)])
        label = label or f"{request.method} {request.path}"
        return Measurement(key, self.server, label, connections, result)


Scenario = Callable[[Bench], list[Measurement]]


def field_of(response: httpx.Response, name: str) -> object:
    body: dict[str, object] = response.json()
    return body.get(name)


# --- the references -----------------------------------------------------------------


def bare(bench: Bench) -> list[Measurement]:
    return [bench.single("bare", LoadRequest("GET", BARE_PATH))]


def ceiling(bench: Bench) -> list[Measurement]:
    request = LoadRequest("GET", CEILING_PATH)
    if field_of(bench.check(request), "email") != USER_EMAIL:
        raise RequestFailed(f"ceiling: GET {CEILING_PATH} did not read {USER_EMAIL}")
    return [bench.single("ceiling", request)]


def stock(bench: Bench) -> list[Measurement]:
    request = LoadRequest(
        "GET", STOCK_ME_PATH, bench.login(STOCK_EMAIL, STOCK_LOGIN_PATH)
    )
    if field_of(bench.check(request), "email") != STOCK_EMAIL:
        raise RequestFailed(f"stock: GET {STOCK_ME_PATH} did not read {STOCK_EMAIL}")
    return [bench.single("stock", request)]


REFERENCES: dict[str, Scenario] = {"bare": bare, "ceiling": ceiling, "stock": stock}


# --- the app ------------------------------------------------------------------------


def health_live(bench: Bench) -> list[Measurement]:
    return [bench.single("health-live", LoadRequest("GET", LIVE_PATH))]


def users_me(bench: Bench) -> list[Measurement]:
    request = LoadRequest("GET", ME_PATH, bench.login(USER_EMAIL))
    return [bench.single("users-me", request)]


def items_list(bench: Bench) -> list[Measurement]:
    request = LoadRequest("GET", ITEMS_LIST_PATH, bench.login(USER_EMAIL))
    items = field_of(bench.check(request), "items")
    if not isinstance(items, list) or len(items) != OWN_ITEMS:
        raise RequestFailed(f"GET {ITEMS_LIST_PATH} did not list {OWN_ITEMS} items")
    return [bench.single("items-list", request)]


def admin_users(bench: Bench) -> list[Measurement]:
    """Its latency with one connection (with 32, p50 is 32 / throughput), then 32."""
    request = LoadRequest("GET", ADMIN_LIST_PATH, bench.login(SUPERUSER_EMAIL))
    label = f"GET {ADMIN_LIST_PATH}"
    return [
        bench.single(
            "admin-users-latency", request, connections=1, label=f"{label} (latency)"
        ),
        bench.single("admin-users", request, label=label),
    ]


def stats(bench: Bench) -> list[Measurement]:
    """A permission-checked read whose own work is cached: auth + authorisation,
    as a user whose permission comes from a role (not a superuser)."""
    request = LoadRequest("GET", STATS_PATH, bench.login(OPERATOR_EMAIL))
    if not isinstance(field_of(bench.check(request), "users"), dict):
        raise RequestFailed(f"GET {STATS_PATH} did not answer with user counts")
    return [bench.single("stats", request)]


def health(bench: Bench) -> list[Measurement]:
    return [bench.single("health", LoadRequest("GET", "/health"))]


def items_create(bench: Bench) -> list[Measurement]:
    """As WRITER_EMAIL, so that the other users' lists stay as seeded."""
    body = json.dumps({"title": "Bench item", "description": "Created by the bench"})
    headers = bench.login(WRITER_EMAIL) + JSON_HEADERS
    request = LoadRequest("POST", "/api/v1/items", headers, body)
    return [bench.single("items-create", request, status=201)]


def login_request() -> LoadRequest:
    form = urlencode({"username": USER_EMAIL, "password": PASSWORD})
    return LoadRequest("POST", LOGIN_PATH, FORM_HEADERS, form)


def login(bench: Bench) -> list[Measurement]:
    return [bench.single("login", login_request())]


def health_under_login(bench: Bench) -> list[Measurement]:
    """/health on one connection while `connections` hammer login."""
    hammer, probe = login_request(), LoadRequest("GET", "/health")
    bench.check(hammer)
    bench.check(probe)
    connections = bench.timing.connections
    login_result, probe_result = bench.measure(
        [Load(hammer, connections), Load(probe, 1)]
    )
    return [
        Measurement(
            "health-under-login",
            bench.server,
            "GET /health while login is hammered",
            1,
            probe_result,
        ),
        Measurement(
            "login-alongside-probe",
            bench.server,
            f"POST {LOGIN_PATH} (alongside the /health probe)",
            connections,
            login_result,
        ),
    ]
