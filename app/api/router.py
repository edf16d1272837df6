"""The versioned API: every resource router, in the order requests are matched."""

from fastapi import APIRouter

from app.api.routes import audit, auth, items, metrics, sessions, stats, users

# Included into the app under /api/v1 one by one rather than through an umbrella
# router: FastAPI finds a route by walking the included routers, so each level
# of nesting costs every request. The most requested come first.
API_ROUTERS: tuple[APIRouter, ...] = (
    # /users/{user_id} matches one path segment: /users/me/sessions... never
    # reaches it, whichever of the two routers comes first.
    users.router,
    sessions.router,
    items.router,
    auth.router,
    stats.router,
    metrics.router,
    audit.router,
)
