"""Opaque, tamper-proof keyset cursors: where the last page ended, signed.

A cursor is `base64url(JSON).base64url(HMAC-SHA256)`: the JSON holds the sort
it was made for and the last row's sort value and id; the signature (keyed
from `SECRET_KEY`) makes any change to it a `InvalidCursor` (422), never a
query with values a client chose. It is not encrypted: it reveals a sort value
of a row the client has just been shown, nothing more.
"""

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from datetime import datetime
from typing import Any

from app.db.listing import InvalidCursor, Position

SIGNATURE_BYTES = 16
# Longer than any cursor this module makes (a 255-character title sort value
# included); anything longer is refused before it is decoded.
MAX_CURSOR_LENGTH = 1024
_KEY_PURPOSE = b"gatehouse list cursor v1"


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tagged(value: Any) -> list[Any]:
    """A sort value or id as JSON that decodes back to the same Python type."""
    if value is None:
        return ["n", None]
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, uuid.UUID):
        return ["u", value.hex]
    if isinstance(value, bool | int):
        return ["i", int(value)]
    if isinstance(value, str):
        return ["s", value]
    raise TypeError(f"cannot put a {type(value).__name__} in a cursor")


def _untagged(tagged: Any) -> Any:
    tag, value = tagged
    if tag == "n" and value is None:
        return None
    if tag == "t" and isinstance(value, str):
        return datetime.fromisoformat(value)
    if tag == "u" and isinstance(value, str):
        return uuid.UUID(hex=value)
    if tag == "i" and isinstance(value, int):
        return value
    if tag == "s" and isinstance(value, str):
        return value
    raise ValueError("unknown value in cursor")


class CursorCodec:
    """Signs positions into cursors and reads them back; one per app."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), _KEY_PURPOSE, hashlib.sha256).digest()

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:SIGNATURE_BYTES]

    def encode(self, position: Position) -> str:
        payload = json.dumps(
            [position.sort, _tagged(position.value), _tagged(position.id)],
            separators=(",", ":"),
        ).encode()
        return f"{_b64encode(payload)}.{_b64encode(self._sign(payload))}"

    def decode(self, cursor: str) -> Position:
        """The position `cursor` stands for; `InvalidCursor` if it is not ours."""
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise InvalidCursor("is too long to be a cursor")
        body, _, signature = cursor.partition(".")
        try:
            payload, mac = _b64decode(body), _b64decode(signature)
        except (binascii.Error, ValueError) as exc:
            raise InvalidCursor() from exc
        if not hmac.compare_digest(mac, self._sign(payload)):
            raise InvalidCursor()
        try:
            sort, value, row_id = json.loads(payload)
            if not isinstance(sort, str):
                raise ValueError("sort")
            return Position(sort, _untagged(value), _untagged(row_id))
        except (ValueError, TypeError) as exc:  # signed by us: only an old format
            raise InvalidCursor() from exc
