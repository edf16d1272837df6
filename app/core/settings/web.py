"""The HTTP side: request hardening, rate limits, the SPA's address and CORS."""

from ipaddress import ip_network
from typing import Annotated, Any
from urllib.parse import urlencode

from limits import parse
from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from app.core.settings.base import SettingsBase, split_list

RATE_LIMITS = (
    "RATE_LIMIT_LOGIN_FAILURES_PER_IP",
    "RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT",
    "RATE_LIMIT_LOGIN_PER_IP",
    "RATE_LIMIT_REGISTER_PER_IP",
    "RATE_LIMIT_EMAIL_REQUESTS_PER_IP",
    "RATE_LIMIT_EMAIL_REQUESTS_PER_ADDRESS",
    "RATE_LIMIT_PASSWORD_CHANGE_PER_USER",
    "RATE_LIMIT_OAUTH_PER_IP",
)


class WebSettings(SettingsBase):
    # Request hardening (pure ASGI middleware, see app/middleware/).
    MAX_BODY_BYTES: int = Field(default=1024 * 1024, ge=1024)
    MAX_HEADER_BYTES: int = Field(default=16 * 1024, ge=1024)
    REQUEST_TIMEOUT_SECONDS: float = Field(default=30.0, gt=0)
    # GET /metrics (Prometheus text). Keep it behind your proxy's access rules.
    METRICS_ENABLED: bool = False

    # Rate limits ("N/period" or "N per M minutes", as the `limits` library reads
    # them). Counters live in Redis when REDIS_URL is set, in memory otherwise.
    REDIS_URL: str | None = None
    # Prepended to every Redis key (rate limits, the /stats cache): instances of
    # one deployment share it; deployments sharing a Redis need different ones.
    REDIS_KEY_PREFIX: str = Field(default="gatehouse", min_length=1)
    RATE_LIMIT_ENABLED: bool = True
    # Proxies whose X-Forwarded-For is believed (IPs or CIDR ranges).
    TRUSTED_PROXIES: Annotated[list[str], NoDecode] = Field(default_factory=list)
    RATE_LIMIT_LOGIN_FAILURES_PER_IP: str = "10/minute"
    RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: str = "5 per 5 minutes"
    RATE_LIMIT_LOGIN_PER_IP: str = "30/minute"
    RATE_LIMIT_REGISTER_PER_IP: str = "20/minute"
    RATE_LIMIT_EMAIL_REQUESTS_PER_IP: str = "20/minute"
    RATE_LIMIT_EMAIL_REQUESTS_PER_ADDRESS: str = "5/minute"
    RATE_LIMIT_PASSWORD_CHANGE_PER_USER: str = "5/minute"
    # Social login: starting a flow and returning from the provider, per IP each.
    RATE_LIMIT_OAUTH_PER_IP: str = "30/minute"

    FRONTEND_URL: str = "http://localhost:5173"
    # The SPA's pages that emails link to.
    VERIFY_EMAIL_PATH: str = "/verify-email"
    RESET_PASSWORD_PATH: str = "/reset-password"
    FORGOT_PASSWORD_PATH: str = "/forgot-password"
    SESSIONS_PATH: str = "/sessions"
    # The API's public base URL, as browsers reach it: the OAuth redirect URIs
    # registered at the providers are {API_URL}/api/v1/auth/oauth/{slug}/callback.
    API_URL: str = "http://localhost:8000"
    # Empty: FRONTEND_URL alone (see app.core.config.Settings).
    CORS_ORIGINS: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("CORS_ORIGINS", "TRUSTED_PROXIES", mode="before")
    @classmethod
    def _parse_lists(cls, value: Any) -> Any:
        return split_list(value)

    @field_validator(*RATE_LIMITS)
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(
                f"not a rate limit such as '10/minute': {value!r}"
            ) from exc
        return value

    @field_validator("TRUSTED_PROXIES")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        for network in value:
            ip_network(network, strict=False)
        return value

    @field_validator("CORS_ORIGINS")
    @classmethod
    def _refuse_wildcard_origin(cls, value: list[str]) -> list[str]:
        # With credentials allowed, Starlette answers "*" by echoing any origin:
        # every website could then use the refresh cookie.
        if "*" in value:
            raise ValueError(
                "CORS_ORIGINS must list explicit origins, not '*': credentialed "
                "requests (the refresh cookie) are allowed from these origins"
            )
        return value

    @field_validator("FRONTEND_URL", "API_URL")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def frontend_url(self, path: str) -> str:
        return f"{self.FRONTEND_URL}{path}"

    def frontend_link(self, path: str, token: str) -> str:
        return f"{self.frontend_url(path)}?{urlencode({'token': token})}"
