"""Two-factor authentication: enrol an authenticator app, manage recovery
codes, turn it off, and finish a sign-in that needs the second factor.

Sensitive changes need a second factor in the request itself (a current code
or a recovery code), not a "recently verified" mark on the session: nothing
to expire or keep in sync across instances, and a stolen access token alone
never suffices.
"""

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi_users.authentication.transport.bearer import BearerResponse

from app.api.deps import (
    AUTHENTICATED,
    CurrentUser,
    MfaChallengeCookie,
    MfaContextDep,
    SessionDep,
    SignInDep,
    UserManagerDep,
    require_csrf_header,
)
from app.api.rate_limits import second_factor_attempt
from app.api.responses import raises
from app.core.errors import TooManyRequests
from app.mfa import gate
from app.mfa import service as mfa_service
from app.mfa.errors import (
    MfaAlreadyEnabled,
    MfaChallengeExpired,
    MfaChallengeMissing,
    MfaCodeInvalid,
    MfaNotEnabled,
    MfaSetupNotStarted,
)
from app.mfa.transport import challenge_clearing_headers, sign_in_response
from app.schemas.mfa import (
    MfaCode,
    MfaDisable,
    RecoveryCodesRead,
    TotpConfirm,
    TotpSetupRead,
)
from app.services import account as account_service
from app.services.user_errors import InvalidCurrentPassword
from app.sessions.errors import CsrfHeaderMissing

router = APIRouter(prefix="/auth/mfa", tags=["mfa"])


@router.post(
    "/totp/setup",
    response_model=TotpSetupRead,
    responses=raises(*AUTHENTICATED, MfaAlreadyEnabled),
)
async def setup_totp(
    user: CurrentUser, session: SessionDep, ctx: MfaContextDep
) -> TotpSetupRead:
    """A new authenticator secret, its `otpauth://` URI and a QR code of it.

    Nothing is active until `totp/confirm`; calling this again replaces the
    pending secret.
    """
    setup = await mfa_service.start_setup(session, user, ctx)
    return TotpSetupRead(
        secret=setup.secret, otpauth_uri=setup.otpauth_uri, qr_svg=setup.qr_svg
    )


@router.post(
    "/totp/confirm",
    response_model=RecoveryCodesRead,
    responses=raises(
        *AUTHENTICATED, MfaCodeInvalid, MfaSetupNotStarted, MfaAlreadyEnabled
    ),
)
async def confirm_totp(
    user: CurrentUser, session: SessionDep, ctx: MfaContextDep, data: TotpConfirm
) -> RecoveryCodesRead:
    """Turn two-factor authentication on with a code from the app.

    Answers the 10 recovery codes, shown this one time.
    """
    codes = await mfa_service.confirm_setup(session, user, data.code, ctx)
    return RecoveryCodesRead(recovery_codes=codes)


@router.post(
    "/recovery-codes",
    response_model=RecoveryCodesRead,
    responses=raises(*AUTHENTICATED, MfaCodeInvalid, MfaNotEnabled, TooManyRequests),
)
async def regenerate_recovery_codes(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    ctx: MfaContextDep,
    data: MfaCode,
) -> RecoveryCodesRead:
    """A fresh set of 10 recovery codes, for a current code (or a recovery
    code); the old set stops working."""
    async with second_factor_attempt(request, user):
        codes = await mfa_service.regenerate_recovery_codes(
            session, user, data.code, ctx
        )
    return RecoveryCodesRead(recovery_codes=codes)


@router.delete(
    "/totp",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=raises(
        *AUTHENTICATED,
        InvalidCurrentPassword,
        MfaCodeInvalid,
        MfaNotEnabled,
        TooManyRequests,
    ),
)
async def disable_totp(
    request: Request,
    user: CurrentUser,
    manager: UserManagerDep,
    session: SessionDep,
    ctx: MfaContextDep,
    data: MfaDisable,
) -> None:
    """Turn two-factor authentication off: the password and a current code
    (or a recovery code). The recovery codes go too."""
    await account_service.confirm_password(manager, user, data.current_password)
    async with second_factor_attempt(request, user):
        await mfa_service.disable(session, user, data.code, ctx)


@router.post(
    "/verify",
    response_model=BearerResponse,
    dependencies=[Depends(require_csrf_header)],
    responses=raises(
        MfaCodeInvalid,
        MfaChallengeMissing,
        MfaChallengeExpired,
        CsrfHeaderMissing,
        TooManyRequests,
    ),
)
async def verify_second_factor(
    request: Request,
    session: SessionDep,
    context: SignInDep,
    data: MfaCode,
    challenge: MfaChallengeCookie = None,
) -> Response:
    """Finish a sign-in that answered `mfa_required`: a code from the app or a
    recovery code, with the challenge cookie. The normal login answer.

    A wrong code uses one of the challenge's 5 attempts and counts as a failed
    login for the account's rate limit; then the challenge is dead.
    """
    try:
        pending = await gate.open_challenge(session, challenge)
        async with second_factor_attempt(request, pending.user):
            signed_in = await gate.complete_sign_in(
                session, pending, data.code, context
            )
    except MfaChallengeExpired as refusal:
        headers = challenge_clearing_headers(context.settings)
        raise MfaChallengeExpired(headers=headers) from refusal
    return sign_in_response(signed_in, context.settings, clear_challenge=True)
