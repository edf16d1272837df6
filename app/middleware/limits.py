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


class BodyTooLargeError(Exception):
    pass


async def send_json(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
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
            await send_json(send, 431, "REQUEST_HEADERS_TOO_LARGE")
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await send_json(send, 413, "REQUEST_BODY_TOO_LARGE")
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
                await send_json(send, 413, "REQUEST_BODY_TOO_LARGE")
        except TimeoutError:
            if not started:
                await send_json(send, 504, "REQUEST_TIMEOUT")


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
