"""forgot-password and request-verify-token tell nothing of whether an account exists.

Status and body were always the same; the time was not (a known address did its
database work and queued an email before answering). Both routes now answer
after the same work (a `SELECT 1`, so an outage is still a 503), known address
or not, and look the address up afterwards: checked by recording the SQL
statements sent before the answer goes out.
"""

import json
import re
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Message

from app.models import EmailOutbox, User
from tests.fixtures.query_counter import QueryCounter
from tests.fixtures.users import create_user


@dataclass
class Answer:
    status: int
    statements_before_answer: list[str]
    statements_in_all: int


async def call(
    app: FastAPI, query_counter: QueryCounter, path: str, email: str
) -> Answer:
    """One request straight through ASGI, noting when the answer starts."""
    body = json.dumps({"email": email}).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    answer: dict[str, int] = {}
    before: list[str] = []
    with query_counter() as queries:

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                before.extend(queries.statements)

        await app(scope, receive, send)
    return Answer(answer["status"], before, queries.count)


def shapes(statements: list[str]) -> list[str]:
    """The statements with their numbers (savepoint names) left out."""
    return [re.sub(r"\d+", "N", statement) for statement in statements]


async def outbox_size(session: AsyncSession, recipient: str) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(EmailOutbox)
        .where(EmailOutbox.recipient == recipient)
    )
    return count or 0


@pytest.mark.parametrize(
    ("path", "account"),
    [
        pytest.param("/api/v1/auth/forgot-password", {}, id="forgot-password"),
        pytest.param(
            "/api/v1/auth/request-verify-token",
            {"is_verified": False},
            id="request-verify-token",
        ),
    ],
)
async def test_known_and_unknown_addresses_are_answered_alike_before_any_work(
    isolated_app: FastAPI,
    db_session: AsyncSession,
    query_counter: QueryCounter,
    path: str,
    account: dict[str, bool],
) -> None:
    known: User = await create_user(isolated_app, db_session, **account)

    for_known = await call(isolated_app, query_counter, path, known.email)
    for_unknown = await call(isolated_app, query_counter, path, "nobody@example.com")

    assert (for_known.status, for_unknown.status) == (202, 202)
    # Before answering, both only checked that the database answers.
    assert shapes(for_known.statements_before_answer) == shapes(
        for_unknown.statements_before_answer
    )
    assert [s for s in for_known.statements_before_answer if "users" in s] == []
    # The lookup happens for both, afterwards; only the known one gets an email.
    assert for_unknown.statements_in_all > 0
    assert for_known.statements_in_all > for_unknown.statements_in_all
    assert await outbox_size(db_session, known.email) == 1
    assert await outbox_size(db_session, "nobody@example.com") == 0
