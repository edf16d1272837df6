"""The refresh cookie's SameSite attribute, for an SPA on another site."""

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import User
from tests.fixtures.app import make_settings
from tests.fixtures.app_factory import AppFactory, join_test_transaction
from tests.fixtures.sessions import browser_client, refresh_cookie
from tests.fixtures.users import DEFAULT_PASSWORD


@pytest.mark.parametrize("same_site", ["lax", "strict", "none"])
async def test_the_cookie_carries_the_configured_same_site(
    app_factory: AppFactory,
    test_sessionmaker: async_sessionmaker[AsyncSession],
    user: User,
    same_site: str,
) -> None:
    app = join_test_transaction(
        app_factory(REFRESH_COOKIE_SAMESITE=same_site), test_sessionmaker
    )
    async with browser_client(app) as client:
        response = await client.post(
            "/api/v1/auth/login",
            data={"username": user.email, "password": DEFAULT_PASSWORD},
        )

    cookie = refresh_cookie(response)
    assert response.status_code == 200
    assert cookie is not None
    assert cookie.attributes["samesite"].lower() == same_site
    assert "secure" in cookie.flags


def test_same_site_none_without_secure_is_refused() -> None:
    with pytest.raises(ValidationError, match="REFRESH_COOKIE_SAMESITE"):
        make_settings(
            "sqlite://", 25, REFRESH_COOKIE_SECURE=False, REFRESH_COOKIE_SAMESITE="none"
        )


def test_an_unknown_same_site_is_refused() -> None:
    with pytest.raises(ValidationError, match="REFRESH_COOKIE_SAMESITE"):
        make_settings("sqlite://", 25, REFRESH_COOKIE_SAMESITE="sometimes")
