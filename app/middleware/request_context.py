"""Request ids and the access log.

Each request gets an `X-Request-ID` (the client's when well-formed, a new one
otherwise), echoed in the response and attached to every log line written while
it is handled. One access line per request: method, route template, status,
duration, user id when a route authenticated one.
"""

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import InternalError
from app.core.logging import request_id_var
from app.middleware.limits import send_error

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("app.access")

REQUEST_ID_HEADER = b"x-request-id"
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


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k != REQUEST_ID_HEADER
                ]
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Log it here, with the request id, and answer without internals.
            logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if not response_started:
                await send_error(send_with_id, InternalError)
        finally:
            user_id = scope["state"].get("user_id")
            access_logger.info(
                "%s %s %s",
                scope["method"],
                route_template(scope),
                status,
                extra={
                    "method": scope["method"],
                    "path": route_template(scope),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "user_id": str(user_id) if user_id else None,
                },
            )
            request_id_var.reset(token)
