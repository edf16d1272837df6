"""The versioned API: every resource router, mounted under /api/v1."""

from fastapi import APIRouter

from app.api.routes import audit, auth, items, metrics, sessions, stats, users

api_router = APIRouter()
api_router.include_router(auth.router)
# Before users: /users/me/sessions must not reach /users/{user_id} routes.
api_router.include_router(sessions.router)
api_router.include_router(users.router)
api_router.include_router(items.router)
api_router.include_router(stats.router)
api_router.include_router(metrics.router)
api_router.include_router(audit.router)
