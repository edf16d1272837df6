"""Build the emails gatehouse sends from Jinja2 templates (HTML plus plain text).

Every email has a kind (`templates/{kind}.html` and `.txt`, both extending
`_layout`), a subject, and links into the SPA (`FRONTEND_URL`), never to the API.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.core.config import Settings

# The emails whose link carries a token (`build_link_email`).
LinkEmail = Literal["verify_email", "reset_password"]
TEMPLATE_DIR = Path(__file__).parent / "templates"
SUBJECTS = {
    "verify_email": "Confirm your email for {project}",
    "reset_password": "Reset your {project} password",
    "welcome": "Welcome to {project}",
    "password_changed": "Your {project} password was changed",
    "email_changed": "The email address of your {project} account was changed",
    "new_sign_in": "A new sign-in to your {project} account",
    "oauth_connected": "A sign-in provider was connected to your {project} account",
    "mfa_enabled": "Two-factor authentication was turned on for {project}",
    "mfa_disabled": "Two-factor authentication was turned off for {project}",
    "mfa_recovery_code_used": "A {project} recovery code was used",
}


@dataclass(frozen=True, slots=True)
class EmailMessage:
    kind: str
    recipient: str
    subject: str
    html: str
    text: str

    @classmethod
    def of(cls, stored: object) -> "EmailMessage":
        """The message an outbox row (or anything with these fields) holds."""
        return cls(**{name: getattr(stored, name) for name in cls.__dataclass_fields__})


@cache
def _environment() -> Environment:
    # HTML templates autoescape, so user-chosen values (full_name) cannot inject markup.
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def moment(at: datetime) -> str:
    """A time as emails show it: `2026-12-01 17:03 UTC`."""
    return at.strftime("%Y-%m-%d %H:%M %Z")


def build_email(
    settings: Settings, kind: str, *, to: str, name: str | None, **context: object
) -> EmailMessage:
    """The `kind` email to `to`, greeting `name` (the address when unnamed).

    Every template also gets the project's name, where to get help, and the
    SPA's links (`home_link`, `forgot_link`, `sessions_link`).
    """
    subject = SUBJECTS[kind].format(project=settings.PROJECT_NAME)
    values = {
        "subject": subject,
        "project_name": settings.PROJECT_NAME,
        "name": name or to,
        "support_email": settings.SUPPORT_EMAIL,
        "home_link": settings.frontend_url("/"),
        "forgot_link": settings.frontend_url(settings.FORGOT_PASSWORD_PATH),
        "sessions_link": settings.frontend_url(settings.SESSIONS_PATH),
        **context,
    }
    env = _environment()
    return EmailMessage(
        kind=kind,
        recipient=to,
        subject=subject,
        html=env.get_template(f"{kind}.html").render(values),
        text=env.get_template(f"{kind}.txt").render(values),
    )


def build_link_email(
    settings: Settings, kind: LinkEmail, *, to: str, name: str | None, token: str
) -> EmailMessage:
    """An email whose link carries `token` to the SPA page that takes it, with
    how long the token is valid: `verify_email` or `reset_password`."""
    if kind == "verify_email":
        path = settings.VERIFY_EMAIL_PATH
        validity = {"valid_hours": settings.VERIFICATION_TOKEN_EXPIRE_SECONDS // 3600}
    else:
        path = settings.RESET_PASSWORD_PATH
        validity = {"valid_minutes": settings.RESET_PASSWORD_TOKEN_EXPIRE_SECONDS // 60}
    link = settings.frontend_link(path, token)
    return build_email(settings, kind, to=to, name=name, link=link, **validity)
