"""Rate-limit dependencies for the abuse-prone routes.

Every refusal is the same 429 `{"detail": "RATE_LIMITED"}` with `Retry-After`,
whichever limit was hit, so a client learns nothing about which key tripped it.
"""

from collections.abc import AsyncIterator
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Annotated

from fastapi import Body, Depends, Form, HTTPException, Request, status
from limits import RateLimitItem

from app.core.config import Settings
from app.core.rate_limit import RateLimiter, Verdict, parse_limit
from app.models import User

RATE_LIMITED = "RATE_LIMITED"
RATE_LIMIT_RESPONSES: dict[int | str, dict[str, str]] = {
    status.HTTP_429_TOO_MANY_REQUESTS: {
        "description": "Too many attempts; retry after `Retry-After` seconds."
    }
}


def client_ip(request: Request, trusted_proxies: tuple[str, ...]) -> str:
    """The client's address, taking X-Forwarded-For only from trusted proxies.

    Walks the forwarded chain from the nearest hop and returns the first
    address that is not itself a trusted proxy.
    """
    peer = request.client.host if request.client else "unknown"
    if not trusted_proxies or not _is_trusted(peer, trusted_proxies):
        return peer
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted_proxies):
            return hop
    return hops[0] if hops else peer


@lru_cache(maxsize=64)
def _networks(
    trusted_proxies: tuple[str, ...],
) -> tuple[IPv4Network | IPv6Network, ...]:
    return tuple(ip_network(network, strict=False) for network in trusted_proxies)


def _is_trusted(address: str, trusted_proxies: tuple[str, ...]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(trusted_proxies))


class Limits:
    """The configured limits, parsed once, and the limiter that counts them."""

    def __init__(self, settings: Settings, limiter: RateLimiter) -> None:
        self.enabled = settings.RATE_LIMIT_ENABLED
        self.limiter = limiter
        self.trusted_proxies = tuple(settings.TRUSTED_PROXIES)
        self.login_failures_per_ip = parse_limit(
            settings.RATE_LIMIT_LOGIN_FAILURES_PER_IP
        )
        self.login_failures_per_account = parse_limit(
            settings.RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT
        )
        self.login_per_ip = parse_limit(settings.RATE_LIMIT_LOGIN_PER_IP)
        self.register_per_ip = parse_limit(settings.RATE_LIMIT_REGISTER_PER_IP)
        self.email_requests_per_ip = parse_limit(
            settings.RATE_LIMIT_EMAIL_REQUESTS_PER_IP
        )
        self.email_requests_per_address = parse_limit(
            settings.RATE_LIMIT_EMAIL_REQUESTS_PER_ADDRESS
        )
        self.password_change_per_user = parse_limit(
            settings.RATE_LIMIT_PASSWORD_CHANGE_PER_USER
        )


def _limits(request: Request) -> Limits:
    limits: Limits = request.app.state.limits
    return limits


def _refuse(verdict: Verdict) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_429_TOO_MANY_REQUESTS,
        detail=RATE_LIMITED,
        headers={"Retry-After": str(verdict.retry_after)},
    )


async def _enforce(
    limiter: RateLimiter, *rules: tuple[RateLimitItem, str, str]
) -> None:
    """Count each (limit, scope, key); refuse at the first one exceeded."""
    for limit, scope, key in rules:
        verdict = await limiter.hit(limit, scope, key)
        if not verdict.allowed:
            raise _refuse(verdict)


async def limit_login(
    request: Request, username: Annotated[str, Form()]
) -> AsyncIterator[None]:
    """Login attempts per IP, and failed logins per IP and per account."""
    limits = _limits(request)
    if not limits.enabled:
        yield
        return
    ip = client_ip(request, limits.trusted_proxies)
    account = username.strip().lower()
    for limit, scope, key in (
        (limits.login_failures_per_ip, "login-failed-ip", ip),
        (limits.login_failures_per_account, "login-failed-account", account),
    ):
        verdict = await limits.limiter.check(limit, scope, key)
        if not verdict.allowed:
            raise _refuse(verdict)
    await _enforce(limits.limiter, (limits.login_per_ip, "login-ip", ip))
    try:
        yield
    except HTTPException as exc:
        if exc.status_code == status.HTTP_400_BAD_REQUEST:
            await limits.limiter.hit(
                limits.login_failures_per_ip, "login-failed-ip", ip
            )
            await limits.limiter.hit(
                limits.login_failures_per_account, "login-failed-account", account
            )
        raise


async def limit_registration(request: Request) -> None:
    limits = _limits(request)
    if limits.enabled:
        ip = client_ip(request, limits.trusted_proxies)
        await _enforce(limits.limiter, (limits.register_per_ip, "register-ip", ip))


async def limit_email_requests(
    request: Request, email: Annotated[str, Body(embed=True)]
) -> None:
    """forgot-password and request-verify-token: per IP and per address."""
    limits = _limits(request)
    if limits.enabled:
        ip = client_ip(request, limits.trusted_proxies)
        await _enforce(
            limits.limiter,
            (limits.email_requests_per_ip, "email-ip", ip),
            (limits.email_requests_per_address, "email-address", email.strip().lower()),
        )


async def enforce_password_change_limit(request: Request, user: User) -> None:
    """Called by routes that change the current user's password."""
    limits = _limits(request)
    if limits.enabled:
        await _enforce(
            limits.limiter,
            (limits.password_change_per_user, "password-change", str(user.id)),
        )


LoginLimit = Depends(limit_login, scope="function")
RegistrationLimit = Depends(limit_registration)
EmailRequestLimit = Depends(limit_email_requests)
