"""Deep pages: the first page and a deep one of two item lists, one connection.

The superuser's list of every item, and the busy owner's own list (a tenth of
the items), 100 a page; the deep page is the last full page of what was seeded
(page 10 000 of the superuser's list with --large). With keyset pagination (the
first page's response has a `next_cursor`) the deep page is reached by walking
the cursors once, before any timing, and the request timed is the one with the
cursor of the page before it; otherwise it is the same request with `offset`.
Nothing here reads `total` (an exact count may become opt-in).
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from commands.bench.database import BUSY_EMAIL, SUPERUSER_EMAIL, busy_items
from commands.bench.load import LoadRequest
from commands.bench.plans import Captured, PlanRequest, RequestFailed
from commands.bench.scenarios import Bench, Measurement

ITEMS_PATH = "/api/v1/items"
PAGE_SIZE = 100
MEMO_KEY = "deep-pages"


@dataclass(frozen=True)
class ItemList:
    name: str  # a key fragment: "all" or "owner"
    description: str
    email: str
    rows: int  # as seeded

    @property
    def depth(self) -> int:
        return max(1, self.rows // PAGE_SIZE)


@dataclass(frozen=True)
class Pages:
    """The two requests timed for one list, and how the deep one was reached."""

    item_list: ItemList
    first: str
    deep: str
    paging: str  # "cursor" or "offset"

    def as_json(self) -> dict[str, Any]:
        return {
            "list": self.item_list.description,
            "as": self.item_list.email,
            "seeded_rows": self.item_list.rows,
            "page_size": PAGE_SIZE,
            "deep_page": self.item_list.depth,
            "paging": self.paging,
            "first_path": self.first,
            "deep_path": self.deep,
        }


def item_lists(items: int) -> list[ItemList]:
    return [
        ItemList("all", "every item (superuser)", SUPERUSER_EMAIL, items),
        ItemList("owner", "one owner's items", BUSY_EMAIL, busy_items(items)),
    ]


def page_path(**query: str | int) -> str:
    return f"{ITEMS_PATH}?{urlencode({'limit': PAGE_SIZE, **query})}"


Headers = tuple[tuple[str, str], ...]


def get_page(bench: Bench, item_list: ItemList, path: str, headers: Headers) -> Any:
    """The page's body, after checking that it is full."""
    page = bench.check(LoadRequest("GET", path, headers)).json()
    expected = min(PAGE_SIZE, item_list.rows)
    if len(page["items"]) != expected:
        raise RequestFailed(f"GET {path} listed {len(page['items'])}, not {expected}")
    return page


def find_deep_page(bench: Bench, item_list: ItemList, headers: Headers) -> Pages:
    """Walk the cursors to the deep page if the API offers them; else an offset."""
    first = page_path()
    page = get_page(bench, item_list, first, headers)
    if "next_cursor" not in page:
        offset = (item_list.depth - 1) * PAGE_SIZE
        deep = page_path(offset=offset) if offset else first
        get_page(bench, item_list, deep, headers)
        return Pages(item_list, first, deep, "offset")
    deep = first
    for number in range(2, item_list.depth + 1):
        cursor = page["next_cursor"]
        if not cursor:
            raise RequestFailed(f"{item_list.description}: no page {number}")
        deep = page_path(cursor=cursor)
        page = get_page(bench, item_list, deep, headers)
    return Pages(item_list, first, deep, "cursor")


def deep_pages(bench: Bench, items: int) -> list[Measurement]:
    """p50 of page 1 and of the deep page of each list, with one connection."""
    found: dict[str, Pages] = bench.memo.setdefault(MEMO_KEY, {})
    measurements = []
    for item_list in item_lists(items):
        headers = bench.login(item_list.email)
        if item_list.name not in found:  # a run walks the cursors once
            found[item_list.name] = find_deep_page(bench, item_list, headers)
        pages = found[item_list.name]
        for which, path, page in (
            ("first", pages.first, "page 1"),
            ("deep", pages.deep, f"page {item_list.depth} by {pages.paging}"),
        ):
            measurements.append(
                bench.single(
                    f"deep-pages-{item_list.name}-{which}",
                    LoadRequest("GET", path, headers),
                    connections=1,
                    label=f"{item_list.description}, {page}",
                )
            )
    return measurements


def reads_items(query: Captured) -> bool:
    return "FROM items" in query.flat


def plan_requests(memo: dict[str, Any]) -> list[PlanRequest]:
    """EXPLAIN both pages of each list, with the paths the load used."""
    found: dict[str, Pages] = memo.get(MEMO_KEY, {})
    return [
        PlanRequest(
            f"{pages.item_list.description}, {which}",
            pages.item_list.email,
            path,
            reads_items,
        )
        for pages in found.values()
        for which, path in (("page 1", pages.first), ("deep page", pages.deep))
    ]


def pages_json(memo: dict[str, Any]) -> list[dict[str, Any]]:
    found: dict[str, Pages] = memo.get(MEMO_KEY, {})
    return [pages.as_json() for pages in found.values()]
