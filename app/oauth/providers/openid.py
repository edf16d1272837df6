"""OpenID Connect providers: discovery and ID-token validation.

Discovery is fetched lazily and asynchronously (httpx-oauth's `OpenID` client
fetches it synchronously in its constructor, which would block the event loop
and crash the app at start-up when the provider is down); ID tokens are
validated against the provider's JWKS (signature, issuer, audience, expiry,
nonce). Google is an OpenID Connect provider with fixed endpoints, so it gets
the same ID-token validation (and its `email_verified` claim) as the generic
provider.
"""

import asyncio
import hmac
import time
from dataclasses import dataclass
from typing import Any, cast

import jwt
from httpx_oauth.oauth2 import OAuth2ClientAuthMethod

from app.oauth.errors import OAuthIdTokenInvalid
from app.oauth.identity import Identity, claim_is_true, text_claim
from app.oauth.providers.base import (
    PROVIDER_FAILURES,
    TimedClient,
    get_json,
    logger,
    provider_error,
)

OIDC_SCOPES = ["openid", "email", "profile"]
# Asymmetric algorithms only: "none" and the HMAC family (keyed with the client
# secret) are never accepted for an ID token.
ID_TOKEN_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"}
)
# Clock skew tolerated between the provider and us.
ID_TOKEN_LEEWAY_SECONDS = 60
# A key id not in the cached set refetches the set, at most this often.
JWKS_REFETCH_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class OpenIDMetadata:
    """The part of a discovery document that signing in needs."""

    issuers: tuple[str, ...]
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    token_auth_method: OAuth2ClientAuthMethod

    @classmethod
    def from_discovery(cls, document: Any) -> "OpenIDMetadata":
        if not isinstance(document, dict):
            raise ValueError("the discovery document is not a JSON object")
        methods = document.get("token_endpoint_auth_methods_supported")
        # The spec's default when the provider does not say.
        method: OAuth2ClientAuthMethod = "client_secret_basic"
        if isinstance(methods, list) and "client_secret_basic" not in methods:
            if "client_secret_post" not in methods:
                raise ValueError(f"no supported token endpoint auth method: {methods}")
            method = "client_secret_post"
        userinfo = document.get("userinfo_endpoint")
        return cls(
            issuers=(_required_text(document, "issuer"),),
            authorization_endpoint=_required_text(document, "authorization_endpoint"),
            token_endpoint=_required_text(document, "token_endpoint"),
            jwks_uri=_required_text(document, "jwks_uri"),
            userinfo_endpoint=userinfo if isinstance(userinfo, str) else None,
            token_auth_method=method,
        )


def _required_text(document: dict[str, Any], name: str) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"the discovery document has no {name}")
    return value


class OpenIDProvider:
    """An OpenID Connect provider: by discovery (fetched on first use, then
    cached; a failure is not cached, so the next sign-in tries again), or with
    fixed metadata (Google)."""

    def __init__(
        self,
        *,
        slug: str,
        display_name: str,
        client_id: str,
        client_secret: str,
        scopes: list[str],
        timeout: float,
        discovery_url: str | None = None,
        metadata: OpenIDMetadata | None = None,
    ) -> None:
        assert discovery_url or metadata, "an OpenID provider needs one of them"
        self.slug = slug
        self.display_name = display_name
        self.client_id = client_id
        self.client_secret = client_secret
        self.scopes = scopes
        self.timeout = timeout
        self.discovery_url = discovery_url
        self._metadata = metadata
        self._client: TimedClient | None = None
        self._jwks: jwt.PyJWKSet | None = None
        self._jwks_fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def metadata(self) -> OpenIDMetadata:
        if self._metadata is not None:
            return self._metadata
        async with self._lock:
            if self._metadata is None:
                assert self.discovery_url is not None
                try:
                    document = await get_json(self.timeout, self.discovery_url)
                    self._metadata = OpenIDMetadata.from_discovery(document)
                except PROVIDER_FAILURES as exc:
                    raise provider_error(self.slug, "discovery", exc) from exc
            return self._metadata

    async def prepare(self) -> None:
        await self.client()

    async def client(self) -> TimedClient:
        if self._client is None:
            metadata = await self.metadata()
            client = TimedClient(
                self.client_id,
                self.client_secret,
                metadata.authorization_endpoint,
                metadata.token_endpoint,
                name=self.slug,
                base_scopes=self.scopes,
                token_endpoint_auth_method=metadata.token_auth_method,
            )
            client.timeout = self.timeout
            self._client = client
        return self._client

    async def authorization_url(
        self, *, redirect_uri: str, state: str, code_challenge: str, nonce: str
    ) -> str:
        client = await self.client()
        return await client.get_authorization_url(
            redirect_uri,
            state=state,
            code_challenge=code_challenge,
            code_challenge_method="S256",
            extras_params={"nonce": nonce},
        )

    async def fetch_identity(
        self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> Identity:
        client = await self.client()
        try:
            token = await client.get_access_token(code, redirect_uri, code_verifier)
            id_token = token["id_token"]
            if not isinstance(id_token, str):
                raise TypeError("id_token is not a string")
        except PROVIDER_FAILURES as exc:
            raise provider_error(self.slug, "token", exc) from exc
        claims = await self.validate_id_token(id_token, nonce)
        email = text_claim(claims, "email")
        verified = claim_is_true(claims.get("email_verified"))
        if email is None:
            email, verified = await self._userinfo_email(
                str(token.get("access_token", "")), str(claims["sub"])
            )
        return Identity(
            provider=self.slug,
            provider_name=self.display_name,
            subject=str(claims["sub"]),
            email=email,
            email_verified=verified and email is not None,
            name=text_claim(claims, "name"),
        )

    async def validate_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims if it is the one this sign-in asked for."""
        metadata = await self.metadata()
        try:
            header = jwt.get_unverified_header(id_token)
            algorithm = header.get("alg")
            if algorithm not in ID_TOKEN_ALGORITHMS:
                raise jwt.InvalidAlgorithmError(f"algorithm {algorithm!r} refused")
            key = await self._signing_key(metadata, header.get("kid"))
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key=key,
                algorithms=[algorithm],
                audience=self.client_id,
                issuer=metadata.issuers,
                leeway=ID_TOKEN_LEEWAY_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.PyJWTError as exc:
            logger.warning("oauth provider %s: ID token refused: %s", self.slug, exc)
            raise OAuthIdTokenInvalid() from exc
        audience = claims["aud"]
        authorized_party = claims.get("azp")
        if (isinstance(audience, list) and len(audience) > 1) or authorized_party:
            if authorized_party != self.client_id:
                logger.warning("oauth provider %s: ID token azp refused", self.slug)
                raise OAuthIdTokenInvalid()
        presented = claims.get("nonce")
        if not isinstance(presented, str) or not hmac.compare_digest(
            presented.encode(), nonce.encode()
        ):
            logger.warning("oauth provider %s: ID token nonce mismatch", self.slug)
            raise OAuthIdTokenInvalid()
        return claims

    async def _signing_key(self, metadata: OpenIDMetadata, kid: Any) -> Any:
        """The JWKS key for `kid`: from the cached set, else from a fresh one (the
        provider rotated its keys), fetched at most once a minute."""
        key = self._find_key(kid)
        if key is None and time.monotonic() - self._jwks_fetched_at > (
            JWKS_REFETCH_SECONDS if self._jwks is not None else 0
        ):
            try:
                document = await get_json(self.timeout, metadata.jwks_uri)
                self._jwks = jwt.PyJWKSet.from_dict(document)
                self._jwks_fetched_at = time.monotonic()
            except (*PROVIDER_FAILURES, jwt.PyJWKSetError) as exc:
                raise provider_error(self.slug, "jwks", exc) from exc
            key = self._find_key(kid)
        if key is None:
            raise jwt.InvalidKeyError(f"no signing key {kid!r} in the provider's JWKS")
        return key

    def _find_key(self, kid: Any) -> Any:
        if self._jwks is None:
            return None
        keys = [k for k in self._jwks.keys if k.public_key_use in (None, "sig")]
        if kid is None:
            return keys[0].key if len(keys) == 1 else None
        return next((k.key for k in keys if k.key_id == kid), None)

    async def _userinfo_email(
        self, access_token: str, subject: str
    ) -> tuple[str | None, bool]:
        """The email from the userinfo endpoint, when the ID token has none."""
        metadata = await self.metadata()
        if metadata.userinfo_endpoint is None or not access_token:
            return None, False
        try:
            info = await get_json(
                self.timeout, metadata.userinfo_endpoint, token=access_token
            )
            if not isinstance(info, dict) or info.get("sub") != subject:
                raise ValueError("userinfo is about another subject")
        except PROVIDER_FAILURES as exc:
            raise provider_error(self.slug, "userinfo", exc) from exc
        info = cast(dict[str, Any], info)
        return text_claim(info, "email"), claim_is_true(info.get("email_verified"))
