"""Shared schema building blocks."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints


def reject_unstorable_text(value: str) -> str:
    """Refuse text PostgreSQL cannot store: NUL characters and lone surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text") from exc
    return value


SafeStr = Annotated[str, AfterValidator(reject_unstorable_text)]
# Constraints go before the validator: put after it (`Annotated[SafeStr, ...]`),
# pydantic checks the length before stripping, so "   " passes as "".
FullName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    AfterValidator(reject_unstorable_text),
]


class ErrorDetail(BaseModel):
    """An error code with a reason for people and, for some codes, data."""

    model_config = ConfigDict(extra="allow")

    code: str
    reason: str | None = None


class ErrorRead(BaseModel):
    """Every error body but a 422's field list: a stable upper-case code, or a
    code with its reason (password rules) and data (the entries of a bulk
    request)."""

    detail: str | ErrorDetail


class FieldError(BaseModel):
    """One invalid input: where (`["body", "email"]`), why, and its kind."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorRead(BaseModel):
    """A 422: the invalid fields, or `INVALID_INPUT` when the database refused a
    value that passed validation."""

    detail: list[FieldError] | str
