"""Annotated dependency aliases for routers: declare these, not raw `Depends`."""

from typing import Annotated

from fastapi import Depends, Request

from app.auth.backend import (
    current_active_user,
    current_superuser,
    current_verified_user,
    get_user_manager,
)
from app.auth.manager import UserManager
from app.core.config import Settings
from app.db.session import AsyncSessionDep
from app.models import User

SessionDep = AsyncSessionDep
CurrentUser = Annotated[User, Depends(current_active_user)]
CurrentVerifiedUser = Annotated[User, Depends(current_verified_user)]
CurrentSuperuser = Annotated[User, Depends(current_superuser)]
UserManagerDep = Annotated[UserManager, Depends(get_user_manager)]


async def get_settings_from_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_from_app)]
