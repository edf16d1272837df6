"""Superuser administration of users: listing, creation, bulk creation, edits."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.session import session_scope
from app.models import Item, User
from tests.fixtures.items import create_item
from tests.fixtures.listing import walk_pages
from tests.fixtures.smtp import Mailbox
from tests.fixtures.users import DEFAULT_PASSWORD, create_user, login

USERS = "/api/v1/users"
BULK = f"{USERS}/bulk"
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def user_url(user_id: uuid.UUID | str) -> str:
    return f"{USERS}/{user_id}"


async def user_count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User)) or 0


async def stored_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    session.expire_all()
    return await session.scalar(select(User).where(User.id == user_id))


def new_user(email: str, **fields: Any) -> dict[str, Any]:
    return {"email": email, "password": DEFAULT_PASSWORD, **fields}


async def list_users(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> httpx.Response:
    """One page, with its exact total unless `count` says otherwise."""
    params.setdefault("count", "exact")
    return await client.get(USERS, params=params, headers=headers)


def emails_of(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [user["email"] for user in response.json()["items"]]


# --- GET /users: access --------------------------------------------------------


async def test_listing_users_needs_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get(USERS)).status_code == 401


async def test_ordinary_user_cannot_list_users(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    response = await client.get(USERS, headers=user_headers)

    assert response.status_code == 403


# --- GET /users: paging ----------------------------------------------------------


@pytest.fixture
async def five_users(
    isolated_app: FastAPI, db_session: AsyncSession, superuser: User
) -> list[User]:
    """Five users created a day apart after the superuser (created at T0)."""
    superuser.created_at = T0
    await db_session.commit()
    return [
        await create_user(
            isolated_app,
            db_session,
            email=f"member{n}@example.com",
            created_at=T0 + timedelta(days=n),
        )
        for n in range(1, 6)
    ]


async def test_listing_is_newest_first_in_the_envelope(
    client: httpx.AsyncClient, superuser_headers: dict[str, str], five_users: list[User]
) -> None:
    response = await list_users(client, superuser_headers)

    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["limit"], body["next_cursor"]) == (6, 20, None)
    assert [user["email"] for user in body["items"]] == [
        "member5@example.com",
        "member4@example.com",
        "member3@example.com",
        "member2@example.com",
        "member1@example.com",
        "admin@example.com",
    ]
    assert "hashed_password" not in body["items"][0]


async def test_listing_pages_with_limit_and_cursor(
    client: httpx.AsyncClient, superuser_headers: dict[str, str], five_users: list[User]
) -> None:
    first = (
        await list_users(client, superuser_headers, limit=2, sort="created_at")
    ).json()
    response = await list_users(
        client,
        superuser_headers,
        limit=2,
        sort="created_at",
        cursor=first["next_cursor"],
    )

    assert response.json()["total"] == 6
    assert emails_of(response) == ["member2@example.com", "member3@example.com"]


async def test_total_is_null_unless_asked_for(
    client: httpx.AsyncClient, superuser_headers: dict[str, str], five_users: list[User]
) -> None:
    response = await client.get(USERS, params={"limit": 4}, headers=superuser_headers)

    assert response.status_code == 200
    body = response.json()
    assert body["total"] is None
    assert len(body["items"]) == 4
    assert body["next_cursor"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": "many"}, "limit"),
        ({"is_active": "maybe"}, "is_active"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"q": ""}, "q"),
    ],
)
async def test_invalid_listing_parameters_are_422(
    client: httpx.AsyncClient,
    superuser_headers: dict[str, str],
    params: dict[str, Any],
    field: str,
) -> None:
    response = await list_users(client, superuser_headers, **params)

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["query", field]]


# --- GET /users: sorting ---------------------------------------------------------


async def test_unknown_sort_is_422_naming_the_allowed_fields(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    response = await list_users(client, superuser_headers, sort="hashed_password")

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "sort"]
    for allowed in ("email", "-email", "created_at", "full_name", "-full_name"):
        assert allowed in error["msg"]


async def test_sort_by_email_ignores_case(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser_headers: dict[str, str],
) -> None:
    for email in ("bob@example.com", "Carol@example.com", "alice@example.com"):
        await create_user(isolated_app, db_session, email=email)

    ascending = await list_users(client, superuser_headers, sort="email")
    descending = await list_users(client, superuser_headers, sort="-email")

    expected = [
        "admin@example.com",
        "alice@example.com",
        "bob@example.com",
        "Carol@example.com",
    ]
    assert emails_of(ascending) == expected
    assert emails_of(descending) == expected[::-1]


async def test_sort_by_name_puts_missing_names_first_ascending_on_both_databases(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser: User,
    superuser_headers: dict[str, str],
) -> None:
    for email, name in (("z@example.com", "anna"), ("y@example.com", "Bert")):
        await create_user(isolated_app, db_session, email=email, full_name=name)

    ascending = await list_users(client, superuser_headers, sort="full_name")
    descending = await list_users(client, superuser_headers, sort="-full_name")

    assert superuser.full_name is None
    assert emails_of(ascending) == [
        "admin@example.com",
        "z@example.com",
        "y@example.com",
    ]
    assert emails_of(descending) == [
        "y@example.com",
        "z@example.com",
        "admin@example.com",
    ]


@pytest.mark.parametrize("sort", ["created_at", "-created_at", "full_name"])
async def test_pages_over_equal_sort_keys_are_stable_and_complete(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser: User,
    superuser_headers: dict[str, str],
    sort: str,
) -> None:
    superuser.created_at = T0
    superuser.full_name = "Same Name"
    await db_session.commit()
    twins = [
        await create_user(
            isolated_app, db_session, created_at=T0, full_name="Same Name"
        )
        for _ in range(6)
    ]
    expected_ids = sorted(
        [str(u.id) for u in [superuser, *twins]], reverse=sort.startswith("-")
    )

    pages = await walk_pages(
        client, USERS, superuser_headers, sort=sort, limit=3, count="exact"
    )

    seen = [user["id"] for page in pages for user in page["items"]]
    assert seen == expected_ids
    assert {page["total"] for page in pages} == {7}


# --- GET /users: filters ---------------------------------------------------------


@pytest.fixture
async def mixed_users(
    isolated_app: FastAPI, db_session: AsyncSession, superuser: User
) -> dict[str, User]:
    return {
        "inactive": await create_user(
            isolated_app, db_session, email="gone@example.com", is_active=False
        ),
        "unverified": await create_user(
            isolated_app, db_session, email="new@example.com", is_verified=False
        ),
        "admin2": await create_user(
            isolated_app, db_session, email="boss@example.com", is_superuser=True
        ),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"is_active": "false"}, {"gone@example.com"}),
        (
            {"is_active": "true"},
            {"admin@example.com", "new@example.com", "boss@example.com"},
        ),
        ({"is_superuser": "true"}, {"admin@example.com", "boss@example.com"}),
        ({"is_verified": "false"}, {"new@example.com"}),
        ({"is_superuser": "false", "is_active": "true"}, {"new@example.com"}),
    ],
)
async def test_flag_filters(
    client: httpx.AsyncClient,
    superuser_headers: dict[str, str],
    mixed_users: dict[str, User],
    params: dict[str, str],
    expected: set[str],
) -> None:
    response = await list_users(client, superuser_headers, **params)

    assert set(emails_of(response)) == expected
    assert response.json()["total"] == len(expected)


async def test_search_matches_email_or_name_ignoring_case(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser_headers: dict[str, str],
) -> None:
    await create_user(isolated_app, db_session, email="Grace@navy.mil")
    await create_user(
        isolated_app, db_session, email="ada@example.com", full_name="Ada GRACEful"
    )
    await create_user(isolated_app, db_session, email="other@example.com")

    response = await list_users(client, superuser_headers, q="grace", sort="email")

    assert emails_of(response) == ["ada@example.com", "Grace@navy.mil"]


@pytest.mark.parametrize(
    ("needle", "expected"),
    [("100%", ["p100%@example.com"]), ("a_b", ["a_b@example.com"])],
)
async def test_search_takes_wildcards_literally(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser_headers: dict[str, str],
    needle: str,
    expected: list[str],
) -> None:
    for email in ("p100%@example.com", "p1000@example.com", "a_b@example.com"):
        await create_user(isolated_app, db_session, email=email)
    await create_user(isolated_app, db_session, email="axb@example.com")

    response = await list_users(client, superuser_headers, q=needle)

    assert emails_of(response) == expected


async def test_created_range_filter(
    client: httpx.AsyncClient, superuser_headers: dict[str, str], five_users: list[User]
) -> None:
    response = await list_users(
        client,
        superuser_headers,
        created_after=(T0 + timedelta(days=2)).isoformat(),
        created_before="2024-01-05T00:00:00",  # no zone: taken as UTC
        sort="created_at",
    )

    assert emails_of(response) == ["member2@example.com", "member3@example.com"]


# --- POST /users -----------------------------------------------------------------


async def test_superuser_creates_a_user_with_flags(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    superuser_headers: dict[str, str],
    mailbox: Mailbox,
) -> None:
    response = await client.post(
        USERS,
        json=new_user(
            "staff@example.com",
            full_name="Staff",
            is_superuser=True,
            is_verified=True,
        ),
        headers=superuser_headers,
    )

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "staff@example.com"
    assert (body["is_active"], body["is_superuser"], body["is_verified"]) == (
        True,
        True,
        True,
    )
    stored = await stored_user(db_session, uuid.UUID(body["id"]))
    assert stored is not None
    assert stored.hashed_password.startswith("$argon2id$")
    staff_headers = await login(client, "staff@example.com")
    assert (await client.get(USERS, headers=staff_headers)).status_code == 200
    assert mailbox.to("staff@example.com") == []


async def test_created_unverified_user_gets_a_verification_email(
    client: httpx.AsyncClient, superuser_headers: dict[str, str], mailbox: Mailbox
) -> None:
    response = await client.post(
        USERS, json=new_user("fresh@example.com"), headers=superuser_headers
    )

    assert response.status_code == 201
    assert response.json()["is_verified"] is False
    [email] = await mailbox.wait_for("fresh@example.com")
    assert "/verify-email?token=" in email.part("text/plain")


async def test_creating_a_taken_email_in_any_case_is_409(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    superuser_headers: dict[str, str],
) -> None:
    before = await user_count(db_session)

    response = await client.post(
        USERS, json=new_user(user.email.upper()), headers=superuser_headers
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "USER_ALREADY_EXISTS"}
    assert await user_count(db_session) == before


async def test_creating_with_a_weak_password_is_400_with_the_reason(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    response = await client.post(
        USERS,
        json={"email": "weak@example.com", "password": "short"},
        headers=superuser_headers,
    )

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail["code"] == "CREATE_USER_INVALID_PASSWORD"
    assert "at least 8" in detail["reason"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": DEFAULT_PASSWORD}, "email"),
        ({"email": "ok@example.com"}, "password"),
        (new_user("ok@example.com", is_superuser="sometimes"), "is_superuser"),
    ],
)
async def test_creating_with_invalid_fields_is_422(
    client: httpx.AsyncClient,
    superuser_headers: dict[str, str],
    body: dict[str, Any],
    field: str,
) -> None:
    response = await client.post(USERS, json=body, headers=superuser_headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]


async def test_only_superusers_create_users(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    body = new_user("x@example.com")

    anonymous = await client.post(USERS, json=body)
    ordinary = await client.post(USERS, json=body, headers=user_headers)

    assert (anonymous.status_code, ordinary.status_code) == (401, 403)


# --- POST /users/bulk --------------------------------------------------------------


async def test_bulk_creates_every_user_and_emails_the_unverified(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    superuser_headers: dict[str, str],
    mailbox: Mailbox,
) -> None:
    entries = [
        new_user("one@example.com", full_name="One"),
        new_user("two@example.com", is_verified=True),
        new_user("three@example.com", is_superuser=True, is_verified=True),
    ]

    response = await client.post(BULK, json=entries, headers=superuser_headers)

    assert response.status_code == 201
    body = response.json()
    assert [user["email"] for user in body] == [e["email"] for e in entries]
    assert [user["is_superuser"] for user in body] == [False, False, True]
    assert await user_count(db_session) == 4
    await mailbox.wait_for("one@example.com")
    assert mailbox.to("two@example.com") == mailbox.to("three@example.com") == []
    await login(client, "two@example.com")


async def test_bulk_accepts_a_hundred_users(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    superuser_headers: dict[str, str],
) -> None:
    entries = [new_user(f"u{n}@example.com", is_verified=True) for n in range(100)]

    response = await client.post(BULK, json=entries, headers=superuser_headers)

    assert response.status_code == 201
    assert len(response.json()) == 100
    assert await user_count(db_session) == 101


async def test_bulk_conflicts_name_every_email_and_write_nothing(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser_headers: dict[str, str],
    mailbox: Mailbox,
) -> None:
    await create_user(isolated_app, db_session, email="taken@example.com")
    before = await user_count(db_session)
    entries = [
        new_user("fine@example.com"),
        new_user("TAKEN@example.com"),
        new_user("twice@example.com"),
        new_user("also-fine@example.com"),
        new_user("Twice@Example.com"),
    ]

    response = await client.post(BULK, json=entries, headers=superuser_headers)

    assert response.status_code == 409
    assert response.json() == {
        "detail": {
            "code": "USERS_ALREADY_EXIST",
            "reason": "3 entries refused (email taken or repeated)",
            "emails": ["taken@example.com", "twice@example.com"],
            "entries": [
                {"index": 1, "email": "TAKEN@example.com", "reason": "ALREADY_EXISTS"},
                {
                    "index": 2,
                    "email": "twice@example.com",
                    "reason": "DUPLICATE_IN_REQUEST",
                },
                {
                    "index": 4,
                    "email": "Twice@example.com",
                    "reason": "DUPLICATE_IN_REQUEST",
                },
            ],
        }
    }
    assert await user_count(db_session) == before
    assert mailbox.to("fine@example.com") == []


async def test_bulk_weak_passwords_are_400_naming_the_entries(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    superuser_headers: dict[str, str],
) -> None:
    before = await user_count(db_session)
    entries = [
        new_user("good@example.com"),
        {"email": "bad1@example.com", "password": "short"},
        {"email": "robert@example.com", "password": "robert-is-my-name"},
    ]

    response = await client.post(BULK, json=entries, headers=superuser_headers)

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail["code"] == "BULK_CREATE_INVALID_PASSWORD"
    assert [(e["index"], e["email"]) for e in detail["entries"]] == [
        (1, "bad1@example.com"),
        (2, "robert@example.com"),
    ]
    assert all(entry["reason"] for entry in detail["entries"])
    assert await user_count(db_session) == before


async def test_bulk_invalid_entry_is_422_naming_its_index(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    superuser_headers: dict[str, str],
) -> None:
    before = await user_count(db_session)
    entries = [new_user(f"ok{n}@example.com") for n in range(3)]
    entries.append(new_user("not-an-email"))

    response = await client.post(BULK, json=entries, headers=superuser_headers)

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [
        ["body", 3, "email"]
    ]
    assert await user_count(db_session) == before


@pytest.mark.parametrize("size", [0, 101])
async def test_bulk_needs_one_to_a_hundred_entries(
    client: httpx.AsyncClient, superuser_headers: dict[str, str], size: int
) -> None:
    entries = [new_user(f"n{n}@example.com") for n in range(size)]

    response = await client.post(BULK, json=entries, headers=superuser_headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]


async def test_bulk_body_must_be_a_list(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    response = await client.post(
        BULK, json={"users": [new_user("a@example.com")]}, headers=superuser_headers
    )

    assert response.status_code == 422


async def test_only_superusers_create_in_bulk(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    entries = [new_user("x@example.com")]

    anonymous = await client.post(BULK, json=entries)
    ordinary = await client.post(BULK, json=entries, headers=user_headers)

    assert (anonymous.status_code, ordinary.status_code) == (401, 403)


async def test_bulk_conflict_commits_nothing_on_real_connections(
    app: FastAPI, committed_client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    async with session_scope(app.state.sessionmaker) as session:
        await create_user(app, session, email="root@example.com", is_superuser=True)
        await create_user(app, session, email="exists@example.com")
    headers = await login(committed_client, "root@example.com")
    entries = [new_user("first@example.com"), new_user("EXISTS@example.com")]

    response = await committed_client.post(BULK, json=entries, headers=headers)

    assert response.status_code == 409
    async with session_scope(app.state.sessionmaker) as session:
        assert await user_count(session) == 2
    assert mailbox.to("first@example.com") == []


# --- GET /users/{id} ---------------------------------------------------------------


async def test_superuser_reads_any_user(
    client: httpx.AsyncClient, user: User, superuser_headers: dict[str, str]
) -> None:
    response = await client.get(user_url(user.id), headers=superuser_headers)

    assert response.status_code == 200
    assert response.json()["email"] == user.email


# --- PATCH /users/{id} -------------------------------------------------------------


async def test_superuser_changes_a_users_email_and_it_needs_verifying(
    client: httpx.AsyncClient,
    user: User,
    superuser_headers: dict[str, str],
    mailbox: Mailbox,
) -> None:
    response = await client.patch(
        user_url(user.id),
        json={"email": "renamed@example.com"},
        headers=superuser_headers,
    )

    assert response.status_code == 200
    assert response.json()["is_verified"] is False
    await mailbox.wait_for("renamed@example.com")


async def test_superuser_sets_a_users_password(
    client: httpx.AsyncClient, user: User, superuser_headers: dict[str, str]
) -> None:
    response = await client.patch(
        user_url(user.id),
        json={"password": "brand-new-Secret-77"},
        headers=superuser_headers,
    )

    assert response.status_code == 200
    await login(client, user.email, "brand-new-Secret-77")


async def test_superuser_setting_a_weak_password_is_400(
    client: httpx.AsyncClient, user: User, superuser_headers: dict[str, str]
) -> None:
    response = await client.patch(
        user_url(user.id), json={"password": "tiny"}, headers=superuser_headers
    )

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail["code"] == "UPDATE_USER_INVALID_PASSWORD"
    assert detail["reason"]


async def test_superuser_cannot_deactivate_themselves(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser: User,
    superuser_headers: dict[str, str],
) -> None:
    await create_user(isolated_app, db_session, is_superuser=True)

    response = await client.patch(
        user_url(superuser.id), json={"is_active": False}, headers=superuser_headers
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "CANNOT_DEACTIVATE_SELF"}
    stored = await stored_user(db_session, superuser.id)
    assert stored is not None
    assert stored.is_active is True


async def test_last_active_superuser_cannot_demote_themselves(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser: User,
    superuser_headers: dict[str, str],
) -> None:
    # An inactive superuser does not count.
    await create_user(isolated_app, db_session, is_superuser=True, is_active=False)

    response = await client.patch(
        user_url(superuser.id), json={"is_superuser": False}, headers=superuser_headers
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "LAST_SUPERUSER"}
    stored = await stored_user(db_session, superuser.id)
    assert stored is not None
    assert stored.is_superuser is True


async def test_superuser_may_demote_themselves_while_another_remains(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser: User,
    superuser_headers: dict[str, str],
) -> None:
    await create_user(isolated_app, db_session, is_superuser=True)

    response = await client.patch(
        user_url(superuser.id), json={"is_superuser": False}, headers=superuser_headers
    )

    assert response.status_code == 200
    assert response.json()["is_superuser"] is False
    assert (await client.get(USERS, headers=superuser_headers)).status_code == 403


@pytest.mark.parametrize("change", [{"is_superuser": False}, {"is_active": False}])
async def test_superuser_demotes_or_deactivates_another_superuser(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser_headers: dict[str, str],
    change: dict[str, bool],
) -> None:
    other = await create_user(isolated_app, db_session, is_superuser=True)

    response = await client.patch(
        user_url(other.id), json=change, headers=superuser_headers
    )

    assert response.status_code == 200
    assert {key: response.json()[key] for key in change} == change


async def test_superuser_may_keep_themselves_active_and_superuser(
    client: httpx.AsyncClient, superuser: User, superuser_headers: dict[str, str]
) -> None:
    response = await client.patch(
        user_url(superuser.id),
        json={"is_active": True, "is_superuser": True, "full_name": "Root"},
        headers=superuser_headers,
    )

    assert response.status_code == 200
    assert response.json()["full_name"] == "Root"


async def test_patching_an_unknown_user_is_404(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    response = await client.patch(
        user_url(uuid.uuid4()), json={"is_active": False}, headers=superuser_headers
    )

    assert response.status_code == 404


async def test_patch_with_an_invalid_field_is_422(
    client: httpx.AsyncClient, user: User, superuser_headers: dict[str, str]
) -> None:
    response = await client.patch(
        user_url(user.id), json={"is_active": "nope"}, headers=superuser_headers
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", "is_active"]


# --- DELETE /users/{id} ------------------------------------------------------------


async def test_deleting_a_user_deletes_their_items(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    user: User,
    superuser: User,
    superuser_headers: dict[str, str],
) -> None:
    for title in ("first", "second"):
        await create_item(db_session, user, title)
    kept_id = (await create_item(db_session, superuser, "not theirs")).id

    response = await client.delete(user_url(user.id), headers=superuser_headers)

    assert response.status_code == 204
    assert await stored_user(db_session, user.id) is None
    remaining = (await db_session.scalars(select(Item.id))).all()
    assert remaining == [kept_id]


async def test_superuser_cannot_delete_themselves_by_id(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser: User,
    superuser_headers: dict[str, str],
) -> None:
    await create_user(isolated_app, db_session, is_superuser=True)

    response = await client.delete(user_url(superuser.id), headers=superuser_headers)

    assert response.status_code == 409
    assert response.json() == {"detail": "CANNOT_DELETE_SELF"}
    assert await stored_user(db_session, superuser.id) is not None


async def test_superuser_deletes_another_superuser(
    client: httpx.AsyncClient,
    isolated_app: FastAPI,
    db_session: AsyncSession,
    superuser_headers: dict[str, str],
) -> None:
    other = await create_user(isolated_app, db_session, is_superuser=True)

    response = await client.delete(user_url(other.id), headers=superuser_headers)

    assert response.status_code == 204
    assert await stored_user(db_session, other.id) is None


async def test_deleting_an_unknown_user_is_404(
    client: httpx.AsyncClient, superuser_headers: dict[str, str]
) -> None:
    response = await client.delete(user_url(uuid.uuid4()), headers=superuser_headers)

    assert response.status_code == 404


# --- the last superuser under concurrency --------------------------------------------


async def test_two_superusers_demoting_each_other_at_once_leave_one(
    app: FastAPI, committed_client: httpx.AsyncClient
) -> None:
    async with session_scope(app.state.sessionmaker) as session:
        first = await create_user(
            app, session, email="a@example.com", is_superuser=True
        )
        second = await create_user(
            app, session, email="b@example.com", is_superuser=True
        )
    first_headers = await login(committed_client, first.email)
    second_headers = await login(committed_client, second.email)

    responses = await asyncio.gather(
        committed_client.patch(
            user_url(second.id), json={"is_superuser": False}, headers=first_headers
        ),
        committed_client.patch(
            user_url(first.id), json={"is_superuser": False}, headers=second_headers
        ),
    )

    statuses = sorted(response.status_code for response in responses)
    # The loser either waited for the winner's lock (409) or was already demoted
    # when it authenticated (403).
    assert statuses in ([200, 403], [200, 409])
    async with session_scope(app.state.sessionmaker) as session:
        remaining = await session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.is_superuser, User.is_active)
        )
    assert remaining == 1
