"""Exception handlers: one JSON `{"detail": ...}` shape, never a stack trace.

Anything not handled here is caught, logged and answered with a plain 500 by
`app.middleware.request_context.RequestContextMiddleware`.
"""

import errno
import logging
import socket

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc

from app.core.errors import AppError

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


async def handle_app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


async def handle_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # The driver's message only: SQLAlchemy's own adds the statement and its
    # parameters (emails, password hashes) to the log.
    logger.error(
        "database unavailable: %s: %s",
        type(exc).__name__,
        getattr(exc, "orig", None) or exc,
    )
    return JSONResponse(
        {"detail": "SERVICE_UNAVAILABLE"},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "5"},
    )


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
    return JSONResponse(
        {"detail": "INVALID_INPUT"}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
    )


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, handle_app_error)
    for error_type in DATABASE_UNAVAILABLE:
        app.add_exception_handler(error_type, handle_database_unavailable)
    app.add_exception_handler(sa_exc.DBAPIError, handle_maybe_unavailable)
    app.add_exception_handler(OSError, handle_maybe_unavailable)
    app.add_exception_handler(sa_exc.DataError, handle_data_error)
