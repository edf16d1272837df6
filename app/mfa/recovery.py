"""Recovery codes: 10 random single-use codes, stored only as keyed hashes.

Each is 12 characters of a 32-letter alphabet (60 bits), shown grouped as
`abcd-efgh-jkmn`; spaces, dashes and letter case do not matter when typed.
"""

import secrets

CODE_COUNT = 10
# Crockford's base32, lowercase: no i, l, o, u (read aloud or typed by hand).
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
LENGTH = 12
GROUP = 4


def new_codes(count: int = CODE_COUNT) -> list[str]:
    return [_new_code() for _ in range(count)]


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def normalize(code: str) -> str:
    """The form that is hashed: lowercase, without separators."""
    return "".join(c for c in code.lower() if c not in " -\t")


def looks_like_recovery_code(code: str) -> bool:
    text = normalize(code)
    return len(text) == LENGTH and all(c in ALPHABET for c in text)
