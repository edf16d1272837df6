"""Logging: JSON lines in production, readable lines in development.

Every record carries the current request id, and secrets (passwords, bearer
tokens, JWTs, refresh tokens, `token=` query values) are masked before any
handler sees them.
"""

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from app.core.config import Settings

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

REDACTED = "[REDACTED]"
_SECRET_PATTERNS = (
    # JSON Web Tokens: three base64url segments starting with '{"' encoded.
    re.compile(r"eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}"),
    re.compile(r"(?i)(bearer\s+)[\w\-.~+/=]+"),
    re.compile(
        r"(?i)((?:password|passwd|secret|token|refresh_token|access_token)"
        r"[\"']?\s*[=:]\s*[\"']?)[^\s\"'&,}]+"
    ),
)
# Attributes every LogRecord has; anything else was passed with `extra=`.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({})).keys()) | {
    "message",
    "asctime",
    "request_id",
}


def redact(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(
            lambda match: (match.group(1) if match.groups() else "") + REDACTED, text
        )
    return text


class ContextFilter(logging.Filter):
    """Adds the request id and masks secrets in the rendered message."""

    def __init__(self, reveal_links: bool) -> None:
        super().__init__()
        self.reveal_links = reveal_links

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        if self.reveal_links and getattr(record, "reveal", False):
            return True
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and key != "reveal":
                payload[key] = value
        if record.exc_text:
            payload["exception"] = record.exc_text
        elif record.exc_info:
            payload["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
        )

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = {
            key: value
            for key, value in vars(record).items()
            if key not in _RECORD_FIELDS and key != "reveal"
        }
        if extras:
            line += " " + " ".join(f"{key}={value}" for key, value in extras.items())
        return line


class GatehouseHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Our stderr handler; a distinct class so reconfiguring replaces it."""


def configure_logging(settings: Settings) -> None:
    json_lines = settings.LOG_FORMAT == "json" or (
        settings.LOG_FORMAT == "auto" and settings.is_production
    )
    handler = GatehouseHandler()
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    handler.addFilter(ContextFilter(reveal_links=not settings.is_production))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if isinstance(existing, GatehouseHandler):
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.LOG_LEVEL.upper())
    # uvicorn's own access log would duplicate ours (which has the request id).
    logging.getLogger("uvicorn.access").disabled = True
