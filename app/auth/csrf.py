"""The CSRF rule for requests authenticated by the refresh cookie.

A browser attaches cookies to cross-site requests, but a cross-site page can send
a custom header only after a CORS preflight, which only CORS_ORIGINS pass. So a
request that carries the cookie must also carry `X-Requested-With` (any value;
the SPA sends `XMLHttpRequest`). SameSite=Lax already keeps the cookie off most
cross-site requests; the header also covers same-site neighbours and old browsers.
"""

from typing import Annotated, Any

from fastapi import Header

from app.core.errors import Forbidden
from app.schemas.common import ErrorRead

CSRF_HEADER = "X-Requested-With"
CSRF_HEADER_VALUE = "XMLHttpRequest"


class CsrfHeaderMissing(Forbidden):
    code = "CSRF_HEADER_MISSING"


CSRF_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {
        "model": ErrorRead,
        "description": f"CSRF_HEADER_MISSING: send `{CSRF_HEADER}`.",
    }
}

CsrfHeader = Annotated[
    str | None,
    Header(
        alias=CSRF_HEADER,
        description=(
            f"Required with the refresh cookie (send `{CSRF_HEADER_VALUE}`): "
            "cross-site pages cannot set it without passing CORS."
        ),
    ),
]


def has_csrf_header(value: str | None) -> bool:
    return bool(value and value.strip())


async def require_csrf_header(x_requested_with: CsrfHeader = None) -> None:
    """Dependency for routes that act on the refresh cookie alone."""
    if not has_csrf_header(x_requested_with):
        raise CsrfHeaderMissing()
