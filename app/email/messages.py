"""Build the emails gatehouse sends from Jinja2 templates (HTML plus plain text)."""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.core.config import Settings

TEMPLATE_DIR = Path(__file__).parent / "templates"


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


def _render(kind: str, recipient: str, subject: str, **context: object) -> EmailMessage:
    env = _environment()
    return EmailMessage(
        kind=kind,
        recipient=recipient,
        subject=subject,
        html=env.get_template(f"{kind}.html").render(subject=subject, **context),
        text=env.get_template(f"{kind}.txt").render(subject=subject, **context),
    )


def build_verify_email(
    settings: Settings, *, email: str, full_name: str | None, token: str
) -> EmailMessage:
    return _render(
        "verify_email",
        email,
        f"Confirm your email for {settings.PROJECT_NAME}",
        project_name=settings.PROJECT_NAME,
        name=full_name or email,
        link=settings.frontend_link(settings.VERIFY_EMAIL_PATH, token),
        valid_hours=settings.VERIFICATION_TOKEN_EXPIRE_SECONDS // 3600,
    )


def build_reset_password_email(
    settings: Settings, *, email: str, full_name: str | None, token: str
) -> EmailMessage:
    return _render(
        "reset_password",
        email,
        f"Reset your {settings.PROJECT_NAME} password",
        project_name=settings.PROJECT_NAME,
        name=full_name or email,
        link=settings.frontend_link(settings.RESET_PASSWORD_PATH, token),
        valid_minutes=settings.RESET_PASSWORD_TOKEN_EXPIRE_SECONDS // 60,
    )
