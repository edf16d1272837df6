"""Fuzz every operation of the OpenAPI schema with schemathesis.

Each operation is called as an ordinary user and as a superuser, with
schemathesis' coverage cases (boundary values, missing and wrong-typed
parameters, each constraint violated in turn) and with `MAX_EXAMPLES` random
valid and invalid cases. Every response must pass the five checks in `CHECKS`:
no 5xx, a status the schema declares, the declared content type, a body that
matches the declared schema, and a 4xx for data the schema forbids. A finding
fails the test with schemathesis' report and a curl command to reproduce it.

The run is bounded and reproducible: coverage cases are a fixed list, random
cases are derandomized, with no example database. No operation is excluded:
each request runs in a SAVEPOINT of the test's transaction that is rolled back
afterwards, so a logout, a password change or a deleted account lasts for one
request only and the next one starts from the same logged-in user. Random path
parameters are sometimes the ids of real rows (the fuzzed user's item, the
ordinary user, the current session), so the routes get past their 404s.

Hypothesis has no per-example `deadline`: timing must not fail a test. Every
request is bounded by the app's own REQUEST_TIMEOUT_SECONDS (504) instead.
"""

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.db.session import wait_for_background_tasks
from app.main import create_app
from app.models import User
from tests.fixtures.app import make_settings
from tests.fixtures.items import create_item
from tests.fixtures.users import login

MAX_EXAMPLES = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]


def load_schema() -> Any:
    """The schema of an app built like the test app (no database is opened)."""
    application = create_app(make_settings("sqlite+aiosqlite://", smtp_port=25))
    return schemathesis.openapi.from_dict(application.openapi())


SCHEMA = load_schema()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@dataclass(frozen=True)
class Account:
    """The fuzzed user: their bearer headers and ids of rows they can reach."""

    headers: dict[str, str]
    real_ids: dict[str, str]


@pytest.fixture(params=["user", "superuser"])
async def account(
    request: pytest.FixtureRequest,
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    superuser: User,
) -> Account:
    fuzzed = superuser if request.param == "superuser" else user
    headers = await login(client, fuzzed.email)
    item = await create_item(db_session, fuzzed)
    sessions = await client.get("/api/v1/users/me/sessions", headers=headers)
    assert sessions.status_code == 200, sessions.text
    real_ids = {
        "item_id": str(item.id),
        "user_id": str(user.id),
        "session_id": sessions.json()["items"][0]["id"],
    }
    return Account(headers, real_ids)


def operation_id(operation: Any) -> str:
    return f"{operation.method.upper()} {operation.path}"


def path_parameters(operation: Any, account: Account) -> dict[str, str]:
    names = {parameter.name for parameter in operation.path_parameters}
    return {name: value for name, value in account.real_ids.items() if name in names}


def request_arguments(case: Any, headers: dict[str, str]) -> dict[str, Any]:
    """The case as `httpx.AsyncClient.request` keyword arguments."""
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    sent_headers = dict(kwargs["headers"])
    if kwargs.get("cookies"):
        # Per-request `cookies=` is deprecated in httpx; a header says the same.
        sent_headers["Cookie"] = "; ".join(
            f"{name}={value}" for name, value in kwargs["cookies"].items()
        )
    arguments: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "params": kwargs.get("params"),
        "headers": sent_headers,
    }
    if "json" in kwargs:
        arguments["json"] = kwargs["json"]
    if "files" in kwargs:
        arguments["files"] = kwargs["files"]
        arguments["data"] = kwargs.get("data")
    elif isinstance(kwargs.get("data"), str | bytes):
        arguments["content"] = kwargs["data"]
    elif "data" in kwargs:
        arguments["data"] = kwargs["data"]
    return arguments


async def exchange(
    client: httpx.AsyncClient,
    connection: AsyncConnection,
    case: Any,
    headers: dict[str, str],
) -> httpx.Response:
    """Send `case`, then roll back everything it wrote (and its background work)."""
    savepoint = await connection.begin_nested()
    try:
        response = await client.request(**request_arguments(case, headers))
        await wait_for_background_tasks()
    finally:
        await savepoint.rollback()
    return response


def check(case: Any, response: httpx.Response) -> None:
    """Run the five checks; a finding fails the test with schemathesis' report."""
    try:
        case.validate_response(response, checks=CHECKS)
    except BaseExceptionGroup as failures:
        # A plain assertion, so Hypothesis shrinks it like any other failure.
        raise AssertionError(str(failures)) from None


@pytest.mark.parametrize("operation", OPERATIONS, ids=operation_id)
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        # Function-scoped fixtures are shared by the examples on purpose: each
        # example is rolled back to the state they set up.
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
async def test_fuzzed_requests_conform_to_schema(
    operation: Any,
    account: Account,
    client: httpx.AsyncClient,
    connection: AsyncConnection,
    data: st.DataObject,
) -> None:
    mode = data.draw(st.sampled_from(MODES), label="mode")
    real_path = data.draw(st.booleans(), label="real ids in path")
    fixed = path_parameters(operation, account) if real_path else {}
    case = data.draw(operation.as_strategy(mode, path_parameters=fixed or None))
    check(case, await exchange(client, connection, case, account.headers))


def coverage_cases(operation: Any) -> list[Any]:
    """Schemathesis' coverage phase: boundary values, missing and wrong-typed
    parameters, each constraint violated in turn. Deterministic, no Hypothesis."""
    generation = SCHEMA.config.generation_for(operation=operation, phase="coverage")
    return list(
        CoverageGenerator(
            operation=operation,
            generation_modes=generation.modes,
            generation_config=generation,
            auth_storage=None,
            override=Override(),
            feedback=FeedbackSources(),
        )
    )


@pytest.mark.parametrize("operation", OPERATIONS, ids=operation_id)
async def test_coverage_requests_conform_to_schema(
    operation: Any,
    account: Account,
    client: httpx.AsyncClient,
    connection: AsyncConnection,
) -> None:
    findings: list[str] = []
    for case in coverage_cases(operation):
        response = await exchange(client, connection, case, account.headers)
        try:
            check(case, response)
        except AssertionError as finding:
            findings.append(str(finding))
    assert not findings, "\n\n".join(findings)


def test_every_operation_is_fuzzed(app: FastAPI) -> None:
    """The module-level schema is the test app's: no route escapes the fuzzer."""
    fuzzed = {operation_id(operation) for operation in OPERATIONS}
    served = {
        f"{method.upper()} {path}"
        for path, methods in app.openapi()["paths"].items()
        for method in methods
    }
    assert fuzzed == served
