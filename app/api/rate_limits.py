"""Rate-limit dependencies for the abuse-prone routes.

Every refusal is the same 429 `{"detail": "RATE_LIMITED"}` with `Retry-After`
(`TooManyRequests`), whichever limit was hit, so a client learns nothing about
which key tripped it.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, Request
from limits import RateLimitItem

from app.auth.client import request_ip
from app.auth.errors import LoginBadCredentials
from app.core.config import Settings
from app.core.errors import TooManyRequests
from app.core.rate_limit import RateLimiter, Verdict, parse_limit
from app.mfa.errors import MfaCodeInvalid
from app.models import User


class Limits:
    """The configured limits, parsed once, and the limiter that counts them."""

    def __init__(self, settings: Settings, limiter: RateLimiter) -> None:
        self.enabled = settings.RATE_LIMIT_ENABLED
        self.limiter = limiter
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
        self.oauth_per_ip = parse_limit(settings.RATE_LIMIT_OAUTH_PER_IP)


def _limits(request: Request) -> Limits:
    limits: Limits = request.app.state.limits
    return limits


def _refuse(verdict: Verdict) -> TooManyRequests:
    return TooManyRequests(headers={"Retry-After": str(verdict.retry_after)})


async def _enforce(
    limiter: RateLimiter, *rules: tuple[RateLimitItem, str, str]
) -> None:
    """Count each (limit, scope, key); refuse at the first one exceeded."""
    for limit, scope, key in rules:
        verdict = await limiter.hit(limit, scope, key)
        if not verdict.allowed:
            raise _refuse(verdict)


async def _body_field(request: Request, name: str) -> str:
    """A string field of the form or JSON body, as the route already parsed it
    (Starlette caches both), or "" when absent: the route reports that itself,
    so a second parameter here would only repeat its 422 errors."""
    if request.headers.get("content-type", "").startswith("application/json"):
        body: Any = await request.json()
        value = body.get(name) if isinstance(body, dict) else None
    else:
        value = (await request.form()).get(name)
    return value.strip().lower() if isinstance(value, str) else ""


async def limit_login(request: Request) -> AsyncIterator[None]:
    """Login attempts per IP, and failed logins per IP and per account."""
    limits = _limits(request)
    if not limits.enabled:
        yield
        return
    ip = request_ip(request)
    account = await _body_field(request, "username")
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
    except LoginBadCredentials:
        await limits.limiter.hit(limits.login_failures_per_ip, "login-failed-ip", ip)
        await limits.limiter.hit(
            limits.login_failures_per_account, "login-failed-account", account
        )
        raise


@asynccontextmanager
async def second_factor_attempt(request: Request, user: User) -> AsyncIterator[None]:
    """A second-factor code checked for `user`: refused while the account (or
    the IP) is over its login-failure limit, and a wrong code counts as a
    failed login, so guessing codes costs what guessing passwords does."""
    limits = _limits(request)
    if not limits.enabled:
        yield
        return
    ip = request_ip(request)
    # The key login uses for the account: the address as typed, lowercased.
    account = user.email.strip().lower()
    rules = (
        (limits.login_failures_per_ip, "login-failed-ip", ip),
        (limits.login_failures_per_account, "login-failed-account", account),
    )
    for limit, scope, key in rules:
        verdict = await limits.limiter.check(limit, scope, key)
        if not verdict.allowed:
            raise _refuse(verdict)
    try:
        yield
    except MfaCodeInvalid:
        for limit, scope, key in rules:
            await limits.limiter.hit(limit, scope, key)
        raise


async def limit_registration(request: Request) -> None:
    limits = _limits(request)
    if limits.enabled:
        ip = request_ip(request)
        await _enforce(limits.limiter, (limits.register_per_ip, "register-ip", ip))


async def limit_email_requests(request: Request) -> None:
    """forgot-password and request-verify-token: per IP and per address."""
    limits = _limits(request)
    if limits.enabled:
        ip = request_ip(request)
        await _enforce(
            limits.limiter,
            (limits.email_requests_per_ip, "email-ip", ip),
            (
                limits.email_requests_per_address,
                "email-address",
                await _body_field(request, "email"),
            ),
        )


async def enforce_password_change_limit(request: Request, user: User) -> None:
    """Called by routes that change the current user's password."""
    limits = _limits(request)
    if limits.enabled:
        await _enforce(
            limits.limiter,
            (limits.password_change_per_user, "password-change", str(user.id)),
        )


async def enforce_oauth_limit(request: Request, step: str) -> None:
    """Social login's authorize and callback (`step`), per IP each. Called by the
    routes, which answer a refusal as a redirect to the SPA, not as JSON."""
    limits = _limits(request)
    if limits.enabled:
        ip = request_ip(request)
        await _enforce(limits.limiter, (limits.oauth_per_ip, f"oauth-{step}", ip))


LoginLimit = Depends(limit_login, scope="function")
RegistrationLimit = Depends(limit_registration)
EmailRequestLimit = Depends(limit_email_requests)
