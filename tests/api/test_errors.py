"""Error responses: one `{"detail": ...}` shape, 422 for unstorable text, 500
without internals, 503 when the database is unreachable."""

import errno
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError

from tests.fixtures.app import http_client
from tests.fixtures.app_factory import AppFactory, closed_port
from tests.fixtures.users import DEFAULT_PASSWORD

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
FORGOT = "/api/v1/auth/forgot-password"
ME = "/api/v1/users/me"
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def error_locs(response: httpx.Response) -> list[list[str | int]]:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list)
    return [error["loc"] for error in detail]


# --- unstorable text: NUL characters and lone surrogates -------------------


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (
            b'{"email": "nul@example.com", "password": "pass\\u0000word1"}',
            ["body", "password"],
        ),
        (
            b'{"email": "s@example.com", "password": "pass-word-1", '
            b'"full_name": "\\ud800"}',
            ["body", "full_name"],
        ),
        (
            b'{"email": "s@example.com", "password": "pass-word-1", '
            b'"full_name": "ok \\udfff tail"}',
            ["body", "full_name"],
        ),
        (
            b'{"email": "n@example.com", "password": "pass-word-1", '
            b'"extra": {"list": ["fine", "bad\\u0000"]}}',
            ["body", "extra", "list", 1],
        ),
        (
            b'{"email": "n@example.com", "password": "pass-word-1", "k\\u0000": 1}',
            ["body", "k\x00"],
        ),
    ],
    ids=["nul", "lone-high-surrogate", "lone-low-surrogate", "nested", "in-key"],
)
async def test_unstorable_text_in_json_is_422_naming_the_field(
    client: httpx.AsyncClient, body: bytes, loc: list[str | int]
) -> None:
    response = await client.post(REGISTER, content=body, headers=JSON)

    assert error_locs(response) == [loc]


async def test_a_valid_surrogate_pair_in_json_is_accepted(
    client: httpx.AsyncClient,
) -> None:
    body = (
        b'{"email": "emoji@example.com", "password": "pass-word-1", '
        b'"full_name": "Smile \\ud83d\\ude00"}'
    )

    response = await client.post(REGISTER, content=body, headers=JSON)

    assert response.status_code == 201
    assert response.json()["full_name"] == "Smile \U0001f600"


async def test_unstorable_text_in_a_route_without_own_validation_is_422(
    client: httpx.AsyncClient,
) -> None:
    # forgot-password's body is fastapi-users' own: only the guard protects it.
    response = await client.post(
        FORGOT, content=b'{"email": "a\\u0000b@example.com"}', headers=JSON
    )

    assert error_locs(response) == [["body", "email"]]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (b"username=a%00b%40example.com&password=x", ["body", "username"]),
        (b"username=a%40example.com&password=x%00y", ["body", "password"]),
        (b"username=%ED%A0%80%40example.com&password=x", ["body", "username"]),
        (b"username=a%40example.com&password=\xed\xb0\x80", ["body", "password"]),
    ],
    ids=["nul", "nul-in-password", "encoded-surrogate", "raw-surrogate"],
)
async def test_unstorable_text_in_a_form_is_422_naming_the_field(
    client: httpx.AsyncClient, body: bytes, loc: list[str | int]
) -> None:
    response = await client.post(LOGIN, content=body, headers=FORM)

    assert error_locs(response) == [loc]


def multipart(fields: dict[str, bytes]) -> bytes:
    parts = [
        b"--xyz\r\nContent-Disposition: form-data; name="
        + f'"{name}"'.encode()
        + b"\r\n\r\n"
        + value
        + b"\r\n"
        for name, value in fields.items()
    ]
    return b"".join(parts) + b"--xyz--\r\n"


@pytest.mark.parametrize("field", ["username", "password"])
async def test_nul_in_a_multipart_form_is_422_naming_the_field(
    client: httpx.AsyncClient, field: str
) -> None:
    # (Starlette decodes multipart text that is not UTF-8 as Latin-1, so no
    # surrogate can come out of a multipart field.)
    fields = {"username": b"a@example.com", "password": b"irrelevant"}
    fields[field] = b"a\x00b"

    response = await client.post(
        LOGIN,
        content=multipart(fields),
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )

    assert error_locs(response) == [["body", field]]


async def test_multipart_surrogate_bytes_reach_the_route_as_storable_text(
    client: httpx.AsyncClient,
) -> None:
    # The guard parses this body (the bytes look like a surrogate) and lets it
    # through: Starlette hands the route Latin-1 text, which can be stored.
    fields = {"username": b"\xed\xa0\x80@example.com", "password": b"x"}

    response = await client.post(
        LOGIN,
        content=multipart(fields),
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "LOGIN_BAD_CREDENTIALS"}


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ("q=%00", ["query", "q"]),
        ("limit=10&q=a%00b", ["query", "q"]),
        ("q=%ED%A0%80", ["query", "q"]),
        ("q=%ed%bf%bf", ["query", "q"]),
    ],
    ids=["nul", "nul-second", "high-surrogate", "low-surrogate-lowercase"],
)
async def test_unstorable_text_in_the_query_string_is_422_naming_the_parameter(
    client: httpx.AsyncClient, user_headers: dict[str, str], query: str, loc: list[str]
) -> None:
    response = await client.get(f"{ME}?{query}", headers=user_headers)

    assert error_locs(response) == [loc]


async def test_ordinary_percent_encoding_passes_the_guard(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.get(
        f"{ME}?q=caf%C3%A9%20%F0%9F%98%80&x=100%25", headers=user_headers
    )

    assert response.status_code == 200


async def test_json_body_mentioning_escapes_literally_passes_the_guard(
    client: httpx.AsyncClient,
) -> None:
    # A backslash followed by "u0000" is six ordinary characters, not a NUL.
    body = (
        b'{"email": "literal@example.com", "password": "pass-word-1", '
        b'"full_name": "back\\\\u0000slash"}'
    )

    response = await client.post(REGISTER, content=body, headers=JSON)

    assert response.status_code == 201
    assert response.json()["full_name"] == "back\\u0000slash"


# --- malformed input -------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b'{"email": "a@example.com", ', b"not json", b'{"email": "\xff"}'],
    ids=["truncated", "not-json", "invalid-utf8"],
)
async def test_malformed_json_is_422(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post(REGISTER, content=body, headers=JSON)

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"][0] == "body"
    assert error["type"] == "json_invalid"


async def test_json_of_the_wrong_type_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(REGISTER, json=["not", "an", "object"])

    assert error_locs(response) == [["body"]]


# --- the error shape -------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status", "detail"),
    [
        ("GET", "/api/v1/nowhere", 404, "NOT_FOUND"),
        ("DELETE", "/api/v1/auth/login", 405, "METHOD_NOT_ALLOWED"),
        ("GET", ME, 401, "UNAUTHORIZED"),
    ],
)
async def test_framework_errors_have_the_detail_shape(
    client: httpx.AsyncClient, method: str, path: str, status: int, detail: str
) -> None:
    response = await client.request(method, path)

    assert response.status_code == status
    assert response.json() == {"detail": detail}
    assert response.headers["content-type"] == "application/json"


# --- unexpected errors -----------------------------------------------------


def app_with_failing_route(application: FastAPI) -> FastAPI:
    @application.get("/api/v1/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2 at /srv/app.py")

    return application


async def test_unhandled_exception_is_a_bare_500(app_factory: AppFactory) -> None:
    application = app_with_failing_route(app_factory())

    async with http_client(application) as http:
        response = await http.get("/api/v1/boom")

    assert response.status_code == 500
    assert response.json() == {"detail": "INTERNAL_SERVER_ERROR"}
    assert "Traceback" not in response.text
    assert "secret" not in response.text


async def test_unhandled_exception_is_logged_with_its_traceback(
    app_factory: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    application = app_with_failing_route(app_factory())

    async with http_client(application) as http:
        await http.get("/api/v1/boom")

    logged = [record for record in caplog.records if record.exc_info or record.exc_text]
    assert logged, [record.getMessage() for record in caplog.records]
    assert "/api/v1/boom" in logged[0].getMessage()


# --- the database is unreachable -------------------------------------------


def unreachable(tmp_path: Path, backend: str) -> str:
    if backend == "postgresql":
        return f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/gatehouse"
    if backend == "unresolvable-host":
        # .invalid never resolves (RFC 2606): a database host not in DNS (yet).
        return "postgresql+asyncpg://postgres@db.gatehouse.invalid/gatehouse"
    not_a_directory = tmp_path / "a-file"
    not_a_directory.write_text("")
    return f"sqlite+aiosqlite:///{not_a_directory / 'gatehouse.db'}"


@pytest.mark.parametrize("backend", ["postgresql", "unresolvable-host", "sqlite"])
async def test_api_calls_are_503_when_the_database_is_unreachable(
    app_factory: AppFactory, tmp_path: Path, backend: str
) -> None:
    down = app_factory(DATABASE_URL=unreachable(tmp_path, backend))

    async with http_client(down) as http:
        login = await http.post(
            LOGIN, data={"username": "a@example.com", "password": DEFAULT_PASSWORD}
        )
        register = await http.post(
            REGISTER, json={"email": "b@example.com", "password": DEFAULT_PASSWORD}
        )
        forgot = await http.post(FORGOT, json={"email": "c@example.com"})

    for response in (login, register, forgot):
        assert response.status_code == 503, response.text
        assert response.json() == {"detail": "SERVICE_UNAVAILABLE"}
        assert response.headers.get("retry-after")


class DriverError(Exception):
    """What a database driver raises, with the SQLSTATE the server sent."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"server said {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (DBAPIError("SELECT 1", None, DriverError("57P03")), 503),
        (DBAPIError("SELECT 1", None, DriverError("53300")), 503),
        (DBAPIError("SELECT 1", None, DriverError("08006")), 503),
        (DBAPIError("SELECT 1", None, DriverError("42P01")), 500),
        (OSError(errno.EHOSTUNREACH, "No route to host"), 503),
        (OSError(errno.ENOENT, "No such file"), 500),
    ],
    ids=[
        "starting-up",
        "too-many-connections",
        "connection-failure",
        "undefined-table",
        "host-unreachable",
        "missing-file",
    ],
)
async def test_driver_and_os_errors_are_503_only_when_the_database_is_unavailable(
    app_factory: AppFactory, error: Exception, status: int
) -> None:
    application = app_factory()

    @application.get("/api/v1/failing")
    async def failing() -> None:
        raise error

    async with http_client(application) as http:
        response = await http.get("/api/v1/failing")

    assert response.status_code == status
    expected = "SERVICE_UNAVAILABLE" if status == 503 else "INTERNAL_SERVER_ERROR"
    assert response.json() == {"detail": expected}
