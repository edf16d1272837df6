import httpx

from app.models import User


async def test_me_returns_the_logged_in_user(
    client: httpx.AsyncClient, user: User, user_headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/users/me", headers=user_headers)
    assert response.status_code == 200
    assert response.json()["email"] == user.email
