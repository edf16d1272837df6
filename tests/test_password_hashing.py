"""Argon2id at production cost: parameters, upgrades, and hashing off the loop."""

import asyncio
import os
from collections.abc import Awaitable
from typing import Any

import httpx
import pytest
from anyio import wait_all_tasks_blocked
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.passwords import (
    default_hash_threads,
    get_password_helper,
    password_helper_for,
)
from app.core.config import Settings
from app.models import User
from tests.fixtures.app import http_client
from tests.fixtures.app_factory import AppFactory, join_test_transaction, settings_of
from tests.fixtures.users import DEFAULT_PASSWORD, create_user, login

PRODUCTION_PREFIX = "$argon2id$v=19$m=19456,t=2,p=1$"
ARGON2_SETTINGS = ("ARGON2_MEMORY_COST_KIB", "ARGON2_TIME_COST", "ARGON2_PARALLELISM")


def production_argon2() -> dict[str, Any]:
    """The Argon2 settings' defaults (the test settings lower them for speed)."""
    return {name: Settings.model_fields[name].default for name in ARGON2_SETTINGS}


def production_app(app_factory: AppFactory) -> FastAPI:
    return app_factory(**production_argon2())


async def stored_hash(session: AsyncSession, email: str) -> str:
    # fastapi-users types these columns as plain str; the table's are expressions.
    users = User.__table__
    hashed = await session.scalar(
        select(users.c.hashed_password).where(users.c.email == email)
    )
    assert isinstance(hashed, str)
    return hashed


def test_default_argon2_cost_is_owasps_baseline() -> None:
    assert production_argon2() == {
        "ARGON2_MEMORY_COST_KIB": 19456,
        "ARGON2_TIME_COST": 2,
        "ARGON2_PARALLELISM": 1,
    }


async def test_registration_stores_an_argon2id_hash_with_the_default_cost(
    app_factory: AppFactory,
    test_sessionmaker: async_sessionmaker[AsyncSession],
    db_session: AsyncSession,
) -> None:
    application = join_test_transaction(production_app(app_factory), test_sessionmaker)

    async with http_client(application) as http:
        response = await http.post(
            "/api/v1/auth/register",
            json={"email": "hashed@example.com", "password": DEFAULT_PASSWORD},
        )

    assert response.status_code == 201
    hashed = await stored_hash(db_session, "hashed@example.com")
    assert hashed.startswith(PRODUCTION_PREFIX)
    assert DEFAULT_PASSWORD not in hashed


async def test_a_hash_with_other_parameters_is_upgraded_at_login(
    app_factory: AppFactory,
    test_sessionmaker: async_sessionmaker[AsyncSession],
    db_session: AsyncSession,
) -> None:
    application = join_test_transaction(production_app(app_factory), test_sessionmaker)
    legacy_hash = get_password_helper(1024, 1, 2, 1).hash(DEFAULT_PASSWORD)
    db_session.add(
        User(
            email="legacy@example.com",
            hashed_password=legacy_hash,
            is_active=True,
            is_superuser=False,
            is_verified=True,
        )
    )
    await db_session.commit()

    async with http_client(application) as http:
        wrong = await http.post(
            "/api/v1/auth/login",
            data={"username": "legacy@example.com", "password": "wrong-password"},
        )
        assert wrong.status_code == 400
        assert await stored_hash(db_session, "legacy@example.com") == legacy_hash

        await login(http, "legacy@example.com")
        upgraded = await stored_hash(db_session, "legacy@example.com")
        assert upgraded.startswith(PRODUCTION_PREFIX)

        await login(http, "legacy@example.com")
        assert await stored_hash(db_session, "legacy@example.com") == upgraded


async def test_health_answers_while_logins_are_hashing(
    app_factory: AppFactory,
    delete_committed_rows: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # /health is sent once the first login has started verifying a production-cost
    # hash. In worker threads the hashing leaves the event loop free and /health
    # finishes first; on the loop, every login's hash would stall it. Order of
    # completion only, no clock.
    application = production_app(app_factory)
    emails = [f"busy{n}@example.com" for n in range(6)]
    async with application.state.sessionmaker() as session:
        for email in emails:
            await create_user(application, session, email=email)
    hashing_started = observe_verifications(application, monkeypatch)
    finished: list[str] = []

    async def tracked(name: str, request: Awaitable[httpx.Response]) -> int:
        response = await request
        finished.append(name)
        return response.status_code

    async with http_client(application) as http:
        # Open the pool's connections first: /health then needs no set-up.
        await asyncio.gather(*(http.get("/health") for _ in range(len(emails) + 1)))
        logins = [
            asyncio.create_task(
                tracked(
                    email,
                    http.post(
                        "/api/v1/auth/login",
                        data={"username": email, "password": DEFAULT_PASSWORD},
                    ),
                )
            )
            for email in emails
        ]
        await hashing_started.wait()
        health = asyncio.create_task(tracked("health", http.get("/health")))
        statuses = await asyncio.gather(*logins, health)

    assert statuses == [200] * (len(emails) + 1)
    assert finished[0] == "health", finished


def observe_verifications(
    application: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> asyncio.Event:
    """An event set when the app's password helper starts verifying a password.

    The real verification still runs; this only reports that it began, from
    whichever thread runs it.
    """
    helper = password_helper_for(settings_of(application))
    verify_and_update = helper.verify_and_update
    loop = asyncio.get_running_loop()
    started = asyncio.Event()

    def observed(plain_password: str, hashed_password: str) -> tuple[bool, str | None]:
        loop.call_soon_threadsafe(started.set)
        return verify_and_update(plain_password, hashed_password)

    monkeypatch.setattr(helper, "verify_and_update", observed)
    return started


async def test_hashes_beyond_the_thread_budget_wait_their_turn(
    app_factory: AppFactory,
) -> None:
    helper = password_helper_for(settings_of(app_factory(PASSWORD_HASH_THREADS=1)))
    assert helper.threads == 1
    # Hold the only slot: the hashes queue at the limiter instead of starting.
    async with helper.limiter:
        hashes = [asyncio.create_task(helper.hash_async("pw")) for _ in range(3)]
        await wait_all_tasks_blocked()
        assert helper.limiter.statistics().tasks_waiting == len(hashes)
        assert not any(task.done() for task in hashes)
    for hashed in await asyncio.gather(*hashes):
        assert hashed.startswith("$argon2id$")


def test_by_default_one_core_is_left_to_the_event_loop() -> None:
    assert default_hash_threads() == max(1, (os.cpu_count() or 1) - 1)


async def test_a_login_holds_no_database_connection_while_hashing(
    app_factory: AppFactory, delete_committed_rows: None
) -> None:
    application = app_factory(PASSWORD_HASH_THREADS=1)
    async with application.state.sessionmaker() as session:
        await create_user(application, session, email="patient@example.com")
    helper = password_helper_for(settings_of(application))
    pool = application.state.engine.pool

    async with http_client(application) as http:
        async with helper.limiter:  # the login reaches its hash, then waits
            login_request = asyncio.create_task(
                http.post(
                    "/api/v1/auth/login",
                    data={
                        "username": "patient@example.com",
                        "password": DEFAULT_PASSWORD,
                    },
                )
            )
            while helper.limiter.statistics().tasks_waiting == 0:
                await wait_all_tasks_blocked()  # the login's queries, then its hash
            connections_held = pool.checkedout()
        response = await login_request

    assert connections_held == 0
    assert response.status_code == 200, response.text
