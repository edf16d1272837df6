"""What every provider shares: the `Provider` protocol, the enabled set, and
the HTTP plumbing (timeouts, JSON GETs, how a provider's failure is logged).

httpx-oauth makes the OAuth calls (the authorize URL with PKCE, the token
request with the verifier); what it leaves out is done in `openid` (discovery,
ID-token validation) and `github` (the identity from GitHub's API).
"""

import logging
from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

import httpx
from httpx_oauth.exceptions import HTTPXOAuthError
from httpx_oauth.oauth2 import BaseOAuth2

from app.oauth.errors import OAuthProviderError
from app.oauth.identity import Identity

logger = logging.getLogger("app.oauth.providers")


class Provider(Protocol):
    """One way to sign in: the authorize URL, then the identity from a code."""

    slug: str
    display_name: str

    async def prepare(self) -> None:
        """Fetch what building the authorize URL needs (OIDC discovery)."""

    async def authorization_url(
        self, *, redirect_uri: str, state: str, code_challenge: str, nonce: str
    ) -> str:
        """Where to send the browser; OAuthProviderError if it cannot be built."""

    async def fetch_identity(
        self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> Identity:
        """Exchange the code and say who signed in (OAuthProviderError,
        OAuthIdTokenInvalid)."""


def http_client(timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=timeout, headers={"Accept": "application/json"})


async def get_json(
    seconds: float, url: str, *, token: str | None = None, auth: str = "Bearer"
) -> Any:
    headers = {"Authorization": f"{auth} {token}"} if token else {}
    async with http_client(seconds) as client:
        response = await client.get(url, headers=headers)
        response.raise_for_status()
        return response.json()


def provider_error(slug: str, step: str, exc: BaseException) -> OAuthProviderError:
    logger.warning(
        "oauth provider %s failed at %s: %s: %s", slug, step, type(exc).__name__, exc
    )
    return OAuthProviderError()


# Everything a provider's answer can fail with, short of our own bugs.
PROVIDER_FAILURES = (
    httpx.HTTPError,
    HTTPXOAuthError,
    ValueError,
    KeyError,
    TypeError,
)


class TimedClient(BaseOAuth2[dict[str, Any]]):
    """httpx-oauth's generic client with our timeout on every call."""

    timeout: float = 10.0

    def get_httpx_client(self) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        return http_client(self.timeout)


class Providers:
    """The enabled providers by slug, in the order the SPA shows them."""

    def __init__(self, providers: Iterable[Provider]) -> None:
        self._by_slug = {provider.slug: provider for provider in providers}

    def get(self, slug: str) -> Provider | None:
        return self._by_slug.get(slug)

    def __iter__(self) -> Any:
        return iter(self._by_slug.values())

    def __len__(self) -> int:
        return len(self._by_slug)
