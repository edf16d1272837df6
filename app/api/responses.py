"""OpenAPI `responses=` derived from the error classes a route can raise.

    @router.get("/{item_id}", responses=raises(Unauthorized, ItemNotFound))

Every code is listed under its status with a description (the class's) and an
example body, so the schema a client is generated from names every error it
can get. `EVERY_ROUTE` holds what the middleware and handlers may answer
anywhere; it is declared once for the whole app.
"""

from typing import Any

from fastapi import status

from app.core.errors import AppError, InternalError, ServiceUnavailable
from app.middleware.limits import (
    RequestBodyTooLarge,
    RequestHeadersTooLarge,
    RequestTimedOut,
)
from app.schemas.common import ErrorRead, ValidationErrorRead

Responses = dict[int | str, dict[str, Any]]


def raises(*errors: type[AppError]) -> Responses:
    """The `responses=` entries for `errors`, grouped by status."""
    by_status: dict[int, dict[str, type[AppError]]] = {}
    for error in errors:
        by_status.setdefault(error.status_code, {}).setdefault(error.code, error)
    return {
        status_code: _entry(list(codes.values()))
        for status_code, codes in sorted(by_status.items())
    }


def _entry(errors: list[type[AppError]]) -> dict[str, Any]:
    return {
        "model": ErrorRead,
        "description": " ".join(f"`{e.code}`: {e.describe()}" for e in errors),
        "content": {
            "application/json": {
                "examples": {
                    e.code: {"summary": e.describe(), "value": e.example()}
                    for e in errors
                }
            }
        },
    }


# 422 replaces FastAPI's own for every route: the input guard answers it on any
# route (unstorable text in the query string), and a value the database refuses
# is `INVALID_INPUT`, a string rather than a list of fields.
EVERY_ROUTE: Responses = {
    **raises(
        RequestBodyTooLarge,
        RequestHeadersTooLarge,
        InternalError,
        ServiceUnavailable,
        RequestTimedOut,
    ),
    status.HTTP_422_UNPROCESSABLE_CONTENT: {
        "model": ValidationErrorRead,
        "description": "Invalid input, each field named (`loc`, `msg`, `type`); "
        "text with NUL characters or unpaired surrogates is refused everywhere, "
        "the query string included. `INVALID_INPUT`: a value the database refused.",
    },
}
