"""`responses=` entries shared by routes: every status a route returns is documented."""

from typing import Any

from fastapi import status

from app.schemas.common import ErrorRead

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
