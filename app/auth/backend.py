"""fastapi-users' authentication backend: bearer transport and the JWT strategy.

The `FastAPIUsers` object and the current-user dependencies are built in
`app.api.deps`, over the user manager the services layer wires up.
"""

import uuid

from fastapi import Request
from fastapi_users.authentication import AuthenticationBackend, BearerTransport

from app.auth.access_tokens import SessionJWTStrategy
from app.core.config import API_PREFIX, Settings
from app.models import User

LOGIN_URL = f"{API_PREFIX}/auth/login"


async def get_jwt_strategy(request: Request) -> SessionJWTStrategy:
    strategy: SessionJWTStrategy = request.app.state.jwt_strategy
    return strategy.bound_to(request)


def build_jwt_strategy(settings: Settings) -> SessionJWTStrategy:
    return SessionJWTStrategy(
        secret=settings.secret("SECRET_KEY"),
        lifetime_seconds=settings.ACCESS_TOKEN_EXPIRE_SECONDS,
    )


bearer_transport = BearerTransport(tokenUrl=LOGIN_URL)

auth_backend = AuthenticationBackend[User, uuid.UUID](
    name="jwt",
    transport=bearer_transport,
    get_strategy=get_jwt_strategy,
)
