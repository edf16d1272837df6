"""Pure ASGI middleware (no BaseHTTPMiddleware: cancellation must propagate)."""
