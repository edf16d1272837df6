"""What a provider says about the person who signed in, in one shape."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Identity:
    """The provider's stable subject, and the email only with its verification.

    `email_verified` is the provider's own statement: Google's and OIDC's
    `email_verified` claim, GitHub's `verified` flag on the primary address.
    """

    provider: str
    # The provider's display name, for what the user reads.
    provider_name: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None = None
    # GitHub without a verified primary address: an email exists but is not
    # given (`email` is None), as nothing vouches for it.
    has_unverified_email: bool = False


def claim_is_true(value: Any) -> bool:
    """`email_verified` as providers send it: a boolean, or (some) the string."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def text_claim(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value.strip() or None if isinstance(value, str) else None
