"""The versioned API: every resource router, in the order requests are matched."""

from fastapi import APIRouter

from app.api.routes import (
    account,
    audit,
    auth,
    items,
    metrics,
    mfa,
    oauth,
    roles,
    sessions,
    stats,
    users,
)

# Included into the app under /api/v1 one by one rather than through an umbrella
# router: FastAPI finds a route by walking the included routers, so each level
# of nesting costs every request. The most requested come first.
API_ROUTERS: tuple[APIRouter, ...] = (
    # /users/me before /users/{user_id}; /users/{user_id} matches one path
    # segment, so /users/me/sessions... never reaches it either way.
    account.router,
    oauth.accounts_router,
    users.router,
    sessions.router,
    items.router,
    auth.router,
    oauth.router,
    mfa.router,
    stats.router,
    metrics.router,
    audit.router,
    roles.router,
)
