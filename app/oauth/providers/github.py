"""GitHub: OAuth 2 with PKCE and no ID token; the identity comes from its
emails API, the primary address only if GitHub verified it."""

from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
from httpx_oauth.clients.github import EMAILS_ENDPOINT, PROFILE_ENDPOINT, GitHubOAuth2

from app.oauth.identity import Identity, text_claim
from app.oauth.providers.base import (
    PROVIDER_FAILURES,
    get_json,
    http_client,
    provider_error,
)

GITHUB_SCOPES = ["read:user", "user:email"]


class _TimedGitHub(GitHubOAuth2):
    timeout: float = 10.0

    def get_httpx_client(self) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        return http_client(self.timeout)


class GitHubProvider:
    """GitHub: OAuth 2 with PKCE, no ID token; the identity from its API."""

    def __init__(self, client_id: str, client_secret: str, timeout: float) -> None:
        self.slug = "github"
        self.display_name = "GitHub"
        self.timeout = timeout
        self.client = _TimedGitHub(client_id, client_secret, scopes=GITHUB_SCOPES)
        self.client.timeout = timeout

    async def prepare(self) -> None:
        return None

    async def authorization_url(
        self, *, redirect_uri: str, state: str, code_challenge: str, nonce: str
    ) -> str:
        return await self.client.get_authorization_url(
            redirect_uri,
            state=state,
            code_challenge=code_challenge,
            code_challenge_method="S256",
        )

    async def fetch_identity(
        self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> Identity:
        try:
            token = await self.client.get_access_token(
                code, redirect_uri, code_verifier
            )
            # GitHub answers a refused code with 200 and {"error": ...}.
            access_token = token["access_token"]
            if not isinstance(access_token, str):
                raise TypeError("access_token is not a string")
            profile = await get_json(
                self.timeout, PROFILE_ENDPOINT, token=access_token, auth="token"
            )
            emails = await get_json(
                self.timeout, EMAILS_ENDPOINT, token=access_token, auth="token"
            )
            subject = str(int(profile["id"]))
            primary = next(
                (e for e in _entries(emails) if e.get("primary") is True), None
            )
        except PROVIDER_FAILURES as exc:
            raise provider_error(self.slug, "token", exc) from exc
        email = text_claim(primary, "email") if primary else None
        verified = bool(primary and primary.get("verified") is True)
        return Identity(
            provider=self.slug,
            provider_name=self.display_name,
            subject=subject,
            # Only the primary address, and only if GitHub verified it.
            email=email if verified else None,
            email_verified=verified and email is not None,
            name=text_claim(profile, "name") if isinstance(profile, dict) else None,
            has_unverified_email=email is not None and not verified,
        )


def _entries(emails: Any) -> Iterable[dict[str, Any]]:
    if not isinstance(emails, list):
        raise TypeError("GitHub's emails answer is not a list")
    return (e for e in emails if isinstance(e, dict))
