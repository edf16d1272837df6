"""Exception handlers: every error in the catalogue's shapes, never a stack trace.

- `AppError`s are rendered as their class says (`app/core/errors.py`).
- Starlette's and fastapi-users' `HTTPException`s keep their code (fastapi-users'
  `LOGIN_BAD_CREDENTIALS`, ...); bare ones (fastapi-users' current-user 401/403,
  unknown paths, wrong methods) get the catalogue's code for their status.
- 422s list the invalid fields without echoing secrets or long inputs back.
- A database that cannot be reached is a 503 with `Retry-After`.

Anything not handled here is caught, logged and answered with a plain 500 by
`app.middleware.request_context.RequestContextMiddleware`.
"""

import errno
import logging
import socket
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException

from app.core.errors import (
    AppError,
    Forbidden,
    InvalidInput,
    MethodNotAllowed,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
)

logger = logging.getLogger(__name__)

# Errors that mean "the database cannot be reached or is overloaded right now".
DATABASE_UNAVAILABLE = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    sa_exc.DisconnectionError,
    ConnectionError,
    TimeoutError,
    socket.gaierror,  # the database host's name does not resolve (yet)
)
# Driver errors and OS errors that mean the same, told apart by SQLSTATE/errno:
# connection exceptions, insufficient resources (too many connections), and a
# server that is shutting down or starting up.
UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "53", "57P01", "57P02", "57P03")
UNREACHABLE_ERRNOS = frozenset(
    {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}
)
# The catalogue's code for an HTTPException that carries none.
BARE_STATUS_ERRORS: dict[int, type[AppError]] = {
    error.status_code: error
    for error in (Unauthorized, Forbidden, NotFound, MethodNotAllowed)
}
# 422 bodies never echo these fields' values, and cut the others.
SECRET_FIELDS = frozenset(
    {"password", "new_password", "current_password", "token", "code", "secret"}
)
MAX_ECHOED_INPUT = 200


def error_response(error: AppError | type[AppError]) -> JSONResponse:
    detail = error.detail if isinstance(error, AppError) else error.code
    headers = error.headers if isinstance(error, AppError) else None
    return JSONResponse(
        {"detail": detail}, status_code=error.status_code, headers=headers
    )


async def handle_app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return error_response(exc)


async def handle_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail: Any = exc.detail
    if detail is None or detail == HTTPStatus(exc.status_code).phrase:
        error = BARE_STATUS_ERRORS.get(exc.status_code)
        detail = error.code if error else HTTPStatus(exc.status_code).name
    return JSONResponse(
        {"detail": detail}, status_code=exc.status_code, headers=exc.headers
    )


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(
        {"detail": jsonable_encoder([_without_secrets(e) for e in exc.errors()])},
        status_code=422,
    )


def _without_secrets(error: Any) -> dict[str, Any]:
    """A pydantic error as the client sees it: no secret, no huge input echoed."""
    shown = {key: value for key, value in error.items() if key != "url"}
    if "input" not in shown:
        return shown
    names = {str(part) for part in shown.get("loc", ())}
    if names & SECRET_FIELDS or isinstance(shown["input"], dict | list):
        # A whole body (or a bulk request's list) may hold a password too.
        del shown["input"]
    elif isinstance(shown["input"], str) and len(shown["input"]) > MAX_ECHOED_INPUT:
        shown["input"] = shown["input"][:MAX_ECHOED_INPUT] + "…"
    return shown


async def handle_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # The driver's message only: SQLAlchemy's own adds the statement and its
    # parameters (emails, password hashes) to the log.
    logger.error(
        "database unavailable: %s: %s",
        type(exc).__name__,
        getattr(exc, "orig", None) or exc,
    )
    return error_response(ServiceUnavailable(headers={"Retry-After": "5"}))


def means_unavailable(exc: Exception) -> bool:
    if isinstance(exc, sa_exc.DBAPIError):
        sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
        return exc.connection_invalidated or sqlstate.startswith(
            UNAVAILABLE_SQLSTATE_PREFIXES
        )
    return isinstance(exc, OSError) and exc.errno in UNREACHABLE_ERRNOS


async def handle_maybe_unavailable(request: Request, exc: Exception) -> JSONResponse:
    if means_unavailable(exc):
        return await handle_database_unavailable(request, exc)
    raise exc  # a plain 500, like any other unexpected error


async def handle_data_error(request: Request, exc: Exception) -> JSONResponse:
    # Input that passed validation but that the database refuses (e.g. a number
    # out of its range): the client's fault, reported without internals.
    logger.warning("database refused input: %s", type(exc).__name__)
    return error_response(InvalidInput)


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(HTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    for error_type in DATABASE_UNAVAILABLE:
        app.add_exception_handler(error_type, handle_database_unavailable)
    app.add_exception_handler(sa_exc.DBAPIError, handle_maybe_unavailable)
    app.add_exception_handler(OSError, handle_maybe_unavailable)
    app.add_exception_handler(sa_exc.DataError, handle_data_error)
