"""The deep-pages scenario against an API that pages by cursor.

The app pages by offset today (the real run in tests/commands/test_bench.py
takes that path); keyset pagination is on its way. So that the cursor path is
proven too, a small FastAPI app served by uvicorn over real HTTP answers the
listing contract with `next_cursor`, and counts which pages it served.
"""

import base64
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Form, Header

from commands.bench.database import BUSY_EMAIL, SUPERUSER_EMAIL, busy_items
from commands.bench.deep_pages import MEMO_KEY, deep_pages
from commands.bench.load import WrkLoad
from commands.bench.scenarios import Bench, Timing
from commands.bench.server import HOST, free_port

ITEMS = 1_000  # the superuser's list: 10 pages of 100; the busy owner's: 90 rows


def encode(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


class CursorApi:
    """/api/v1/auth/login (the token is the email) and /api/v1/items by cursor."""

    def __init__(self, rows: dict[str, int]) -> None:
        self.rows = rows
        self.served: Counter[tuple[str, int]] = Counter()  # (email, page number)
        self.app = FastAPI()
        self.app.post("/api/v1/auth/login")(self.login)
        self.app.get("/api/v1/items")(self.list_items)

    async def login(
        self, username: Annotated[str, Form()], password: Annotated[str, Form()]
    ) -> dict[str, str]:
        return {"access_token": username, "token_type": "bearer"}

    async def list_items(
        self,
        authorization: Annotated[str, Header()],
        limit: int,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        email = authorization.removeprefix("Bearer ")
        start = 0 if cursor is None else int(base64.urlsafe_b64decode(cursor))
        end = min(start + limit, self.rows[email])
        self.served[email, start // limit + 1] += 1
        return {
            "items": [{"n": n} for n in range(start, end)],
            "next_cursor": encode(end) if end < self.rows[email] else None,
        }


@pytest.fixture
def cursor_api() -> Iterator[tuple[CursorApi, str]]:
    api = CursorApi({SUPERUSER_EMAIL: ITEMS, BUSY_EMAIL: busy_items(ITEMS)})
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(api.app, host=HOST, port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the cursor API did not start"
        time.sleep(0.05)
    try:
        yield api, f"http://{HOST}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def test_the_deep_page_is_walked_to_once_and_loaded_with_its_cursor(
    cursor_api: tuple[CursorApi, str], tmp_path: Path
) -> None:
    api, base_url = cursor_api
    with httpx.Client(base_url=base_url, timeout=10) as http:
        bench = Bench("app", http, WrkLoad(base_url, tmp_path), Timing(1, 0, 32))
        first_round = deep_pages(bench, items=ITEMS)
        second_round = deep_pages(bench, items=ITEMS)  # reuses the walk

    every = bench.memo[MEMO_KEY]["all"]
    assert every.paging == "cursor"
    # Page 10 is asked for with the cursor page 9 handed out.
    assert every.deep == f"/api/v1/items?limit=100&cursor={encode(900)}"
    assert [m.key for m in first_round] == [
        "deep-pages-all-first",
        "deep-pages-all-deep",
        "deep-pages-owner-first",
        "deep-pages-owner-deep",
    ]
    assert [m.label for m in first_round][:2] == [
        "every item (superuser), page 1",
        "every item (superuser), page 10 by cursor",
    ]
    # The pages in between were walked through once, in the first round only.
    assert [api.served[SUPERUSER_EMAIL, page] for page in range(2, 10)] == [1] * 8
    for which in (first_round, second_round):
        assert all(m.connections == 1 for m in which)
        assert all(m.result.requests > 0 and not m.result.error_count for m in which)
    loaded = sum(m.result.requests for m in (first_round[1], second_round[1]))
    # wrk leaves out the requests still in flight when time is up.
    assert api.served[SUPERUSER_EMAIL, 10] >= loaded
    # The busy owner's 90 items fit on one page: its deep page is page 1.
    owner = bench.memo[MEMO_KEY]["owner"]
    assert owner.deep == owner.first == "/api/v1/items?limit=100"
    assert set(api.served) == {(SUPERUSER_EMAIL, n) for n in range(1, 11)} | {
        (BUSY_EMAIL, 1)
    }
