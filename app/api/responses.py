"""`responses=` entries shared by routes: every status a route returns is documented."""

from typing import Any

from fastapi import status

from app.schemas.common import ErrorRead, ValidationErrorRead

Responses = dict[int | str, dict[str, Any]]

UNAUTHORIZED: Responses = {
    status.HTTP_401_UNAUTHORIZED: {
        "model": ErrorRead,
        "description": "Missing or invalid token, or inactive user.",
    }
}
SUPERUSER_ONLY: Responses = {
    **UNAUTHORIZED,
    status.HTTP_403_FORBIDDEN: {
        "model": ErrorRead,
        "description": "The user is not a superuser.",
    },
}


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorRead, "description": description}


# What the middleware and the error handlers may answer on any route, declared
# once for the whole app (`FastAPI(responses=...)`); a route's own entry for the
# same status wins. 422 replaces FastAPI's own for every route: the input guard
# answers it on any route (unstorable text in the query string), and a value the
# database refuses is `INVALID_INPUT`, a string rather than a list of fields.
EVERY_ROUTE: Responses = {
    status.HTTP_413_CONTENT_TOO_LARGE: _error(
        "`REQUEST_BODY_TOO_LARGE`: the body exceeds `MAX_BODY_BYTES`."
    ),
    status.HTTP_422_UNPROCESSABLE_CONTENT: {
        "model": ValidationErrorRead,
        "description": "Invalid input, each field named; text with NUL characters "
        "or unpaired surrogates is refused everywhere, the query string included.",
    },
    status.HTTP_431_REQUEST_HEADER_FIELDS_TOO_LARGE: _error(
        "`REQUEST_HEADERS_TOO_LARGE`: the headers exceed `MAX_HEADER_BYTES`."
    ),
    status.HTTP_500_INTERNAL_SERVER_ERROR: _error(
        "An unexpected error, logged with the request id (`X-Request-ID`)."
    ),
    status.HTTP_503_SERVICE_UNAVAILABLE: _error(
        "`SERVICE_UNAVAILABLE`: the database cannot be reached; retry after "
        "`Retry-After` seconds."
    ),
    status.HTTP_504_GATEWAY_TIMEOUT: _error(
        "`REQUEST_TIMEOUT`: not done within `REQUEST_TIMEOUT_SECONDS`; nothing "
        "was written."
    ),
}
