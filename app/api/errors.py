"""Exception handlers: one JSON `{"detail": ...}` shape, never a stack trace."""

import logging

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
)


async def handle_app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


async def handle_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.error("database unavailable: %s: %s", type(exc).__name__, exc)
    return JSONResponse(
        {"detail": "SERVICE_UNAVAILABLE"},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "5"},
    )


async def handle_data_error(request: Request, exc: Exception) -> JSONResponse:
    # Input that passed validation but that the database refuses (e.g. a number
    # out of its range): the client's fault, reported without internals.
    logger.warning("database refused input: %s", type(exc).__name__)
    return JSONResponse(
        {"detail": "INVALID_INPUT"}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
    )


async def handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error(
        "unhandled error on %s %s", request.method, request.url.path, exc_info=exc
    )
    return JSONResponse(
        {"detail": "Internal Server Error"},
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, handle_app_error)
    for error_type in DATABASE_UNAVAILABLE:
        app.add_exception_handler(error_type, handle_database_unavailable)
    app.add_exception_handler(sa_exc.DataError, handle_data_error)
    app.add_exception_handler(Exception, handle_unexpected)
