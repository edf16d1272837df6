"""Second-factor schemas: enrolment, the login challenge, codes."""

from typing import Annotated, Any, Literal

from fastapi_users.authentication.transport.bearer import BearerResponse
from pydantic import BaseModel, Discriminator, Field, StringConstraints, Tag

from app.schemas.common import SafeStr

MfaMethod = Literal["totp", "recovery_code"]
# A 6-digit TOTP code or a recovery code (`abcd-efgh-jkmn`; spaces, dashes and
# letter case do not matter).
Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    Field(description="A 6-digit code from the authenticator app, or a recovery code."),
]
TotpCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    Field(description="A 6-digit code from the authenticator app."),
]


class MfaRequired(BaseModel):
    """The password was right; a second factor is due: `POST /auth/mfa/verify`
    with the challenge cookie this answer set."""

    mfa_required: Literal[True]
    methods: list[MfaMethod]


def _login_answer(value: Any) -> str:
    flag = (
        value.get("mfa_required")
        if isinstance(value, dict)
        else getattr(value, "mfa_required", None)
    )
    return "mfa" if flag else "session"


# The two answers of a login, `oneOf` in the schema: the session (access
# token; the refresh cookie is set), or the second factor due.
LoginAnswer = Annotated[
    Annotated[BearerResponse, Tag("session")] | Annotated[MfaRequired, Tag("mfa")],
    Discriminator(_login_answer),
]


class TotpSetupRead(BaseModel):
    """A new authenticator secret: nothing is active until `totp/confirm`."""

    secret: str = Field(description="Base32, for typing into the app by hand.")
    otpauth_uri: str = Field(description="The `otpauth://totp/...` URI.")
    qr_svg: str = Field(description="The URI as a QR code, an SVG document.")


class TotpConfirm(BaseModel):
    code: TotpCode


class MfaCode(BaseModel):
    code: Code


class MfaDisable(BaseModel):
    current_password: Annotated[SafeStr, Field(description="The account's password.")]
    code: Code


class RecoveryCodesRead(BaseModel):
    """Single-use recovery codes, shown this one time: each signs in once
    instead of an authenticator code."""

    recovery_codes: list[str]
