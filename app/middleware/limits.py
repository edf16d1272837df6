"""Size limits and the request deadline.

- Bodies above `max_body_bytes` get 413, decided from Content-Length when it is
  given and otherwise by counting while the app reads, never by reading it all.
- Header blocks above `max_header_bytes` get 431.
- A handler still running after `timeout_seconds` is cancelled (its transaction
  rolls back as the cancellation unwinds the session dependency) and the client
  gets 504.
"""

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import AppError


class RequestBodyTooLarge(AppError, status=413, code="REQUEST_BODY_TOO_LARGE"):
    """The body exceeds `MAX_BODY_BYTES`."""


class RequestHeadersTooLarge(AppError, status=431, code="REQUEST_HEADERS_TOO_LARGE"):
    """The headers exceed `MAX_HEADER_BYTES`."""


class RequestTimedOut(AppError, status=504, code="REQUEST_TIMEOUT"):
    """Not done within `REQUEST_TIMEOUT_SECONDS`; nothing was written."""


class BodyTooLargeError(Exception):
    pass


async def send_error(send: Send, error: type[AppError]) -> None:
    """Answer with `error`'s body, closing the connection (from middleware)."""
    body = json.dumps({"detail": error.code}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status_code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestLimitsMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_header_bytes: int,
        timeout_seconds: float,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header_bytes = sum(len(k) + len(v) for k, v in scope["headers"])
        if header_bytes > self.max_header_bytes:
            await send_error(send, RequestHeadersTooLarge)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await send_error(send, RequestBodyTooLarge)
            return

        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLargeError
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            async with asyncio.timeout(self.timeout_seconds):
                await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError:
            if not started:
                await send_error(send, RequestBodyTooLarge)
        except TimeoutError:
            if not started:
                await send_error(send, RequestTimedOut)


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
