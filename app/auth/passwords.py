"""Password hashing (Argon2id, off the event loop) and the password policy."""

import hashlib
import hmac
import os
from functools import cache, lru_cache
from pathlib import Path

import anyio
import anyio.to_thread
from fastapi_users.password import PasswordHelper
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.config import Settings

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
# A local part shorter than this is too common a substring to forbid.
MIN_LOCAL_PART_TO_CHECK = 3
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


class AsyncPasswordHelper(PasswordHelper):
    """fastapi-users' helper with awaitable variants that hash in a worker thread.

    Argon2 takes tens of milliseconds of CPU by design; running it on the event
    loop would stall every other request for that long. At most `threads` hashes
    run at once (argon2 releases the GIL, so they do run in parallel): a flood of
    logins then queues here instead of taking every core from the event loop.
    """

    def __init__(self, password_hash: PasswordHash, threads: int) -> None:
        super().__init__(password_hash)
        self.threads = threads
        self._limiter: anyio.CapacityLimiter | None = None

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        # Made on first use, inside the running event loop.
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.threads)
        return self._limiter

    async def hash_async(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self.hash, password, limiter=self.limiter)

    async def verify_and_update_async(
        self, plain_password: str, hashed_password: str
    ) -> tuple[bool, str | None]:
        return await anyio.to_thread.run_sync(
            self.verify_and_update,
            plain_password,
            hashed_password,
            limiter=self.limiter,
        )


@lru_cache
def get_password_helper(
    memory_cost_kib: int, time_cost: int, parallelism: int, threads: int
) -> AsyncPasswordHelper:
    hasher = Argon2Hasher(
        memory_cost=memory_cost_kib, time_cost=time_cost, parallelism=parallelism
    )
    return AsyncPasswordHelper(PasswordHash((hasher,)), threads)


@cache
def default_hash_threads() -> int:
    return max(1, (os.cpu_count() or 1) - 1)


def password_helper_for(settings: Settings) -> AsyncPasswordHelper:
    """One shared helper per cost configuration, built once."""
    return get_password_helper(
        settings.ARGON2_MEMORY_COST_KIB,
        settings.ARGON2_TIME_COST,
        settings.ARGON2_PARALLELISM,
        settings.PASSWORD_HASH_THREADS or default_hash_threads(),
    )


@cache
def common_passwords() -> frozenset[str]:
    """The 10 000 most common leaked passwords, lower-cased (shipped with the app).

    Source: the frequency-ordered list Django ships, itself derived from public
    breach corpora; only the first 10 000 entries are kept.
    """
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as lines:
        return frozenset(line.strip().lower() for line in lines if line.strip())


def password_policy_violation(password: str, email: str) -> str | None:
    """The rule `password` breaks for the account `email`, named precisely, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return (
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters long "
            f"(it has {len(password)})."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        return (
            f"Password must be at most {MAX_PASSWORD_LENGTH} characters long "
            f"(it has {len(password)})."
        )
    if password.lower() in common_passwords():
        return (
            "Password must not be a common password: this one is on a list of "
            "leaked passwords."
        )
    local_part = email.split("@", 1)[0].lower()
    if len(local_part) >= MIN_LOCAL_PART_TO_CHECK and local_part in password.lower():
        return (
            f"Password must not contain {local_part!r} (the part of your email "
            "before the @)."
        )
    return None


def password_fingerprint(secret: str, hashed_password: str) -> str:
    """A cheap, keyed fingerprint of the stored hash, put in reset tokens.

    A reset token is valid only while the password it was issued for is unchanged.
    fastapi-users uses a second Argon2 hash for this; an HMAC gives the same
    guarantee without the CPU cost (and without a timing difference between
    known and unknown addresses on forgot-password).
    """
    return hmac.new(
        secret.encode(), hashed_password.encode(), hashlib.sha256
    ).hexdigest()
