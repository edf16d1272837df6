"""Refuse, with a 422 naming the field, text that PostgreSQL cannot store.

JSON and form bodies may legally carry NUL characters (`\\u0000`) and lone UTF-16
surrogates (`\\ud800`); PostgreSQL rejects both, which would surface as a 500 from
deep inside a query. Gatehouse's own schemas validate their fields, but routes
provided by fastapi-users (login form, forgot-password...) do not, so this guard
checks every request once, cheaply: a byte scan, and a parse only when it hits.
"""

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.schemas.common import reject_unstorable_text

_SUSPICIOUS = re.compile(rb"\x00|%00|\\u0000|\\ud[89a-f]", re.IGNORECASE)
_CHECKED_TYPES = ("application/json", "application/x-www-form-urlencoded")
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
        if _SUSPICIOUS.search(body):
            if content_type.startswith("application/json"):
                loc = _first_bad_json_field(body)
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


def _first_bad_form_field(raw: bytes, where: str) -> list[str | int] | None:
    text = raw.decode("utf-8", errors="replace")
    for key, value in parse_qsl(text, keep_blank_values=True):
        if _is_unstorable(key) or _is_unstorable(value):
            return [where, key]
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
    body = json.dumps(
        {"detail": [{"type": "string_unstorable", "loc": loc, "msg": MESSAGE}]}
    ).encode()
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
