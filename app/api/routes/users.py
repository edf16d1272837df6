"""The current user's profile and superuser access to any user (fastapi-users)."""

from fastapi import APIRouter

from app.auth.backend import fastapi_users
from app.schemas.user import UserRead, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])
router.include_router(fastapi_users.get_users_router(UserRead, UserUpdate))
