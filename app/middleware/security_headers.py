"""Security headers on every response."""

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The API serves JSON; only the docs pages need scripts, styles and images, all
# served by the app itself (app/api/routes/docs.py).
API_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
DOCS_PATHS = ("/docs", "/redoc")


def docs_csp(inline_script_hashes: Iterable[str] = ()) -> bytes:
    """The docs pages' policy: the app's own assets, and these inline scripts.

    Swagger UI and ReDoc insert <style> elements as they render ('unsafe-inline'
    styles), ReDoc runs its search in a blob: worker and both show data: images;
    the schema and Swagger's "Authorize" (the login form) go to the app itself.
    """
    scripts = " ".join(["'self'", *(f"'sha256-{h}'" for h in inline_script_hashes)])
    return (
        "default-src 'none'; "
        f"script-src {scripts}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; "
        "worker-src blob:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ).encode()


DOCS_CSP = docs_csp()
HSTS = b"max-age=63072000; includeSubDomains"


class SecurityHeadersMiddleware:
    def __init__(
        self, app: ASGIApp, *, hsts: bool, docs_policy: bytes = DOCS_CSP
    ) -> None:
        self.app = app
        self.hsts = hsts
        self.docs_policy = docs_policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = self.docs_policy if scope["path"].startswith(DOCS_PATHS) else API_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-security-policy", csp),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                if self.hsts:
                    headers.append((b"strict-transport-security", HSTS))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
