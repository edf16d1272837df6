"""Email: the SMTP server, the notifications people get, the outbox's delivery."""

from pydantic import EmailStr, Field, SecretStr

from app.core.settings.base import SettingsBase


class MailSettings(SettingsBase):
    FIRST_SUPERUSER_EMAIL: EmailStr | None = None
    FIRST_SUPERUSER_PASSWORD: SecretStr | None = None

    # Named as fastapi-mail's ConnectionConfig names them. No MAIL_SERVER: log emails.
    MAIL_SERVER: str = ""
    MAIL_PORT: int = 587
    MAIL_USERNAME: str = ""
    MAIL_PASSWORD: SecretStr = SecretStr("")
    MAIL_FROM: EmailStr = "noreply@example.com"
    MAIL_FROM_NAME: str = "Gatehouse"
    MAIL_STARTTLS: bool = True
    MAIL_SSL_TLS: bool = False
    MAIL_USE_CREDENTIALS: bool | None = None
    MAIL_VALIDATE_CERTS: bool = True
    # Where security notifications tell people to write; unset: "reply to this email".
    SUPPORT_EMAIL: EmailStr | None = None
    # A welcome email once an address is verified.
    WELCOME_EMAIL_ENABLED: bool = True
    # "A new sign-in to your account", when the device (user agent and network)
    # has not signed in to that account for NEW_SIGN_IN_LOOKBACK_DAYS.
    NEW_SIGN_IN_EMAIL_ENABLED: bool = True
    NEW_SIGN_IN_LOOKBACK_DAYS: int = Field(default=90, ge=1)
    MAIL_TIMEOUT: int = Field(default=10, gt=0)
    # Delivery from the email outbox: bounded attempts with exponential backoff.
    MAIL_MAX_ATTEMPTS: int = Field(default=5, ge=1)
    MAIL_RETRY_BASE_SECONDS: float = Field(default=30.0, ge=0)
    OUTBOX_WORKER_ENABLED: bool = True
    OUTBOX_POLL_SECONDS: float = Field(default=5.0, gt=0)
    # Emails claimed at once by a worker; their lease is MAIL_TIMEOUT per email
    # plus OUTBOX_LEASE_MARGIN_SECONDS, after which another worker may send them.
    OUTBOX_BATCH_SIZE: int = Field(default=20, ge=1)
    OUTBOX_LEASE_MARGIN_SECONDS: float = Field(default=30, ge=0)

    @property
    def mail_uses_credentials(self) -> bool:
        """MAIL_USE_CREDENTIALS, or when unset: whether a MAIL_USERNAME is given."""
        if self.MAIL_USE_CREDENTIALS is None:
            return bool(self.MAIL_USERNAME)
        return self.MAIL_USE_CREDENTIALS
