"""The outermost layer: request ids, security headers and the access log.

Each request gets an `X-Request-ID` (the client's when well-formed, a new one
otherwise), echoed in the response and attached to every log line written while
it is handled. Every response gets the security headers (`security_headers.py`)
and, when the request had no `Origin`, CORS's `Vary: Origin` (the CORS layer
only handles requests that have one, see `app.middleware.cors`). One access line
per request: method, route template, status, duration, user id when a route
authenticated one.

One middleware rather than three: each layer costs a call, a closure and a pass
over the response headers on every request (measured: together about a third
of what a trivial request costs in the app).
"""

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import InternalError
from app.core.logging import request_id_var
from app.middleware.cors import has_origin
from app.middleware.limits import send_error
from app.middleware.security_headers import (
    API_CSP,
    DOCS_CSP,
    DOCS_PATHS,
    security_headers,
)

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("app.access")

REQUEST_ID_HEADER = b"x-request-id"
VARY = b"vary"
_WELL_FORMED = re.compile(rb"^[A-Za-z0-9._:-]{8,128}$")


def _incoming_request_id(scope: Scope) -> str:
    for key, value in scope["headers"]:
        if key == REQUEST_ID_HEADER and _WELL_FORMED.match(value):
            return bytes(value).decode("ascii")
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's template, e.g. `/api/v1/items/{item_id}`."""
    # FastAPI includes routers lazily; the template with every prefix applied is
    # on its effective route context. `route.path` alone lacks the prefixes.
    context = scope.get("fastapi", {}).get("effective_route_context")
    path = getattr(context, "path_format", None) or getattr(
        scope.get("route"), "path", None
    )
    return path if isinstance(path, str) else "<unmatched>"


def _response_headers(
    headers: list[tuple[bytes, bytes]],
    added: tuple[tuple[bytes, bytes], ...],
    request_id: bytes,
    vary_origin: bool,
) -> list[tuple[bytes, bytes]]:
    """The app's headers (its own request id dropped), then ours."""
    kept = [(k, v) for k, v in headers if k != REQUEST_ID_HEADER]
    if vary_origin:
        varies = [v for k, v in kept if k.lower() == VARY]
        if varies:
            kept = [(k, v) for k, v in kept if k.lower() != VARY]
        kept.append((VARY, b", ".join([*varies, b"Origin"])))
    kept += added
    kept.append((REQUEST_ID_HEADER, request_id))
    return kept


class RequestContextMiddleware:
    def __init__(
        self, app: ASGIApp, *, hsts: bool = False, docs_policy: bytes = DOCS_CSP
    ) -> None:
        self.app = app
        self.api_headers = security_headers(API_CSP, hsts)
        self.docs_headers = security_headers(docs_policy, hsts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope)
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False
        added = (
            self.docs_headers
            if scope["path"].startswith(DOCS_PATHS)
            else self.api_headers
        )
        vary_origin = not has_origin(scope)

        async def send_with_context(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = _response_headers(
                    message.get("headers", []),
                    added,
                    request_id.encode(),
                    vary_origin,
                )
            await send(message)

        try:
            await self.app(scope, receive, send_with_context)
        except Exception:
            # Log it here, with the request id, and answer without internals.
            logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if not response_started:
                await send_error(send_with_context, InternalError)
        finally:
            if access_logger.isEnabledFor(logging.INFO):
                log_access(scope, status, started)
            request_id_var.reset(token)


def log_access(scope: Scope, status: int, started: float) -> None:
    user_id = scope["state"].get("user_id")
    path = route_template(scope)
    access_logger.info(
        "%s %s %s",
        scope["method"],
        path,
        status,
        extra={
            "method": scope["method"],
            "path": path,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "user_id": str(user_id) if user_id else None,
        },
    )
