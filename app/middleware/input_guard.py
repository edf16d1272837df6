"""Refuse, with a 422 naming the field, text that PostgreSQL cannot store.

JSON and form bodies may legally carry NUL characters (`\\u0000`) and lone UTF-16
surrogates (`\\ud800`); PostgreSQL rejects both, which would surface as a 500 from
deep inside a query. Gatehouse's own schemas validate their fields, but routes
provided by fastapi-users (login form, forgot-password...) do not, so this guard
checks every request once, cheaply: a byte scan, and a parse only when it hits.
A surrogate reaches forms and query strings as its (invalid) UTF-8 bytes, raw or
percent-encoded. JSON that is not UTF-8 is refused as malformed (RFC 8259).
"""

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.schemas.common import reject_unstorable_text

_SUSPICIOUS = re.compile(
    rb"\x00|%00|\\u0000|\\ud[89a-f]|\xed[\xa0-\xbf]|%ed%[ab][0-9a-f]", re.IGNORECASE
)
_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
_CHECKED_TYPES = (_JSON, _FORM, _MULTIPART)
MESSAGE = "String must not contain NUL characters or unpaired surrogates"


class UnstorableInputMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query: bytes = scope.get("query_string", b"")
        if _SUSPICIOUS.search(query):
            loc = _first_bad_form_field(query, "query")
            if loc is not None:
                await _reject(send, loc)
                return
        content_type = _header(scope, b"content-type")
        if not content_type.startswith(_CHECKED_TYPES):
            await self.app(scope, receive, send)
            return
        body, messages = await _read_body(receive)
        if content_type.startswith(_JSON):
            utf8_error = _utf8_error(body)
            if utf8_error is not None:
                await _reject_json(send, utf8_error)
                return
        if _SUSPICIOUS.search(body):
            if content_type.startswith(_JSON):
                loc = _first_bad_json_field(body)
            elif content_type.startswith(_MULTIPART):
                loc = await _first_bad_multipart_field(scope, messages)
            else:
                loc = _first_bad_form_field(body, "body")
            if loc is not None:
                await _reject(send, loc)
                return
        await self.app(scope, _replay(messages, receive), send)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1").lower()
    return ""


async def _read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks), messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


def _is_unstorable(text: str) -> bool:
    try:
        reject_unstorable_text(text)
    except ValueError:
        return True
    return False


def _utf8_error(raw: bytes) -> UnicodeDecodeError | None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc
    return None


def _first_bad_form_field(raw: bytes, where: str) -> list[str | int] | None:
    # Invalid UTF-8 (an encoded surrogate among it) decodes to lone surrogates here,
    # where Starlette would quietly substitute U+FFFD.
    text = raw.decode("utf-8", errors="surrogateescape")
    for key, value in parse_qsl(text, keep_blank_values=True, errors="surrogateescape"):
        if _is_unstorable(key) or _is_unstorable(value):
            return [where, key]
    return None


async def _first_bad_multipart_field(
    scope: Scope, messages: list[Message]
) -> list[str | int] | None:
    async def exhausted() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    request = Request(scope, _replay(messages, exhausted))
    try:
        form = await request.form()
    except MultiPartException:
        return None  # the route reports a malformed body itself
    try:
        for key, value in form.multi_items():
            if _is_unstorable(key) or (
                isinstance(value, str) and _is_unstorable(value)
            ):
                return ["body", key]
    finally:
        await form.close()
    return None


def _first_bad_json_field(raw: bytes) -> list[str | int] | None:
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        return None  # FastAPI reports malformed JSON itself
    for path, value in _walk(document, ["body"]):
        if isinstance(value, str) and _is_unstorable(value):
            return path
    return None


def _walk(node: Any, path: list[str | int]) -> Iterator[tuple[list[str | int], Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if _is_unstorable(key):
                yield [*path, key], key
            yield from _walk(value, [*path, key])
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, [*path, index])
    else:
        yield path, node


async def _reject(send: Send, loc: list[str | int]) -> None:
    await _send_422(send, {"type": "string_unstorable", "loc": loc, "msg": MESSAGE})


async def _reject_json(send: Send, error: UnicodeDecodeError) -> None:
    # Shaped like FastAPI's own answer to malformed JSON.
    await _send_422(
        send,
        {
            "type": "json_invalid",
            "loc": ["body", error.start],
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": "Invalid UTF-8"},
        },
    )


async def _send_422(send: Send, error: dict[str, Any]) -> None:
    body = json.dumps({"detail": [error]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
