"""TOTP secrets encrypted at rest, and the keyed hash of recovery codes.

AES-256-GCM with a key derived (HKDF-SHA-256) from `MFA_ENCRYPTION_KEY`, so any
strong string works as the setting. Each ciphertext is stored with the id of
the key that wrote it; the user's id is the associated data, so a ciphertext
copied onto another account does not decrypt.

Rotation: set the new key in MFA_ENCRYPTION_KEY and move the old one to
MFA_ENCRYPTION_OLD_KEYS. Old keys still decrypt (and still match recovery
codes); every write uses the new key, and a secret read with an old key is
written again with the new one when it is next used to sign in. Drop an old
key once no row names it (`SELECT count(*) FROM mfa_totp WHERE key_id = ...`).
"""

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.core.config import Settings

NONCE_BYTES = 12


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted: its key is not configured (or the
    row was tampered with). A configuration problem, answered as a 500."""


def _derive(material: str, purpose: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"gatehouse-mfa:" + purpose,
    ).derive(material.encode())


@dataclass(frozen=True, slots=True)
class _Key:
    id: str
    aead: AESGCM
    hash_key: bytes


def _key(material: str) -> _Key:
    key_id = hashlib.sha256(_derive(material, b"key-id")).hexdigest()[:16]
    return _Key(
        id=key_id,
        aead=AESGCM(_derive(material, b"totp-secret")),
        hash_key=_derive(material, b"recovery-code"),
    )


class MfaKeys:
    """The current key (every write) and the old ones (reads only)."""

    def __init__(self, current: str, old: list[str] | None = None) -> None:
        self.current = _key(current)
        self._by_id = {k.id: k for k in (_key(m) for m in old or ())}
        self._by_id[self.current.id] = self.current

    @classmethod
    def from_settings(cls, settings: Settings) -> "MfaKeys":
        return _keys(
            settings.secret("MFA_ENCRYPTION_KEY"),
            tuple(key.get_secret_value() for key in settings.MFA_ENCRYPTION_OLD_KEYS),
        )

    def encrypt(self, plaintext: str, *, context: bytes) -> tuple[str, str]:
        """(ciphertext, key id): nonce and ciphertext, base64."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.current.aead.encrypt(nonce, plaintext.encode(), context)
        return base64.b64encode(nonce + sealed).decode(), self.current.id

    def decrypt(self, ciphertext: str, key_id: str, *, context: bytes) -> str:
        key = self._by_id.get(key_id)
        if key is None:
            raise SecretUnreadable(
                f"no configured MFA key has id {key_id}: was it removed from "
                "MFA_ENCRYPTION_OLD_KEYS too early?"
            )
        raw = base64.b64decode(ciphertext)
        try:
            plain = key.aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context)
        except InvalidTag as exc:
            raise SecretUnreadable(
                f"a secret under key {key_id} fails to decrypt"
            ) from exc
        return plain.decode()

    def code_hash(self, code: str) -> str:
        """The keyed hash stored for a recovery code (the current key's)."""
        return _hmac(self.current.hash_key, code)

    def code_hashes(self, code: str) -> list[str]:
        """Its hash under every configured key, to look a presented code up."""
        return [_hmac(key.hash_key, code) for key in self._by_id.values()]


def _hmac(key: bytes, code: str) -> str:
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=8)
def _keys(current: str, old: tuple[str, ...]) -> MfaKeys:
    """Derived once per configuration, not per request."""
    return MfaKeys(current, list(old))
