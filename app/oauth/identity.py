"""What a provider says about the person who signed in, in one shape."""

from dataclasses import dataclass, replace
from typing import Any

from pydantic import TypeAdapter, ValidationError

from app.db.lengths import FULL_NAME_MAX_LENGTH
from app.models.oauth_account import SUBJECT_MAX_LENGTH
from app.schemas.common import reject_unstorable_text
from app.schemas.user import Email

_EMAIL: TypeAdapter[str] = TypeAdapter(Email)


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


def _storable(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return reject_unstorable_text(value)
    except ValueError:
        return None


def checked(identity: Identity) -> Identity | None:
    """The identity with what we store made safe to store, or None when its
    subject cannot be (the provider's answer is unusable).

    An email that is not a valid address is no email: nothing would reach it,
    and no account may be matched by it. A name is cut to fit.
    """
    subject = _storable(identity.subject)
    if not subject or len(subject) > SUBJECT_MAX_LENGTH:
        return None
    email = identity.email
    if email is not None:
        try:
            email = _EMAIL.validate_python(email)
        except ValidationError:
            email = None
    name = _storable(identity.name)
    return replace(
        identity,
        email=email,
        email_verified=identity.email_verified and email is not None,
        name=name[:FULL_NAME_MAX_LENGTH] if name else None,
    )
