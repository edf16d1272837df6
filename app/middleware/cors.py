"""CORS: Starlette's middleware, skipped for requests without an `Origin`.

Most requests (same-origin pages, curl, load balancers, server-to-server) carry
no `Origin`; Starlette's middleware still builds a headers object for each and
wraps the response just to add `Vary: Origin`. Here such a request goes straight
through, and `app.middleware.request_context` adds that `Vary` with the other
fixed response headers. Requests with an `Origin` (preflights included) get
Starlette's behaviour unchanged.
"""

from starlette.middleware.cors import CORSMiddleware as StarletteCORSMiddleware
from starlette.types import Receive, Scope, Send

ORIGIN = b"origin"


def has_origin(scope: Scope) -> bool:
    return any(key == ORIGIN for key, _ in scope["headers"])


class CORSMiddleware(StarletteCORSMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not has_origin(scope):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
