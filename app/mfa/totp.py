"""Time-based one-time passwords (RFC 6238) with pyotp: 6 digits, 30 s steps.

A code is accepted for the current step and one step either side (clock
drift); the caller records the step it matched so it is never accepted again.
"""

import hmac
import io
import time

import pyotp
import segno

DIGITS = 6
STEP_SECONDS = 30
VALID_WINDOW = 1


def new_secret() -> str:
    """160 random bits, base32 (what authenticator apps take)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def qr_svg(uri: str) -> str:
    """The URI as a standalone SVG QR code (scan it with the app)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(
        buffer, kind="svg", xmldecl=False, scale=4, border=2, nl=False
    )
    return buffer.getvalue().decode()


def looks_like_totp(code: str) -> bool:
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step `code` belongs to, within the window, or None."""
    if not looks_like_totp(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    step = current_step(now)
    for candidate in range(step + VALID_WINDOW, step - VALID_WINDOW - 1, -1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None
