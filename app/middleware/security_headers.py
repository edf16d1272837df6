"""Security headers on every response (added by `app.middleware.request_context`)."""

from collections.abc import Iterable

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


Headers = tuple[tuple[bytes, bytes], ...]


def security_headers(csp: bytes, hsts: bool) -> Headers:
    """What every response carries, built once (see `RequestContextMiddleware`)."""
    headers: list[tuple[bytes, bytes]] = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"content-security-policy", csp),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if hsts:
        headers.append((b"strict-transport-security", HSTS))
    return tuple(headers)
