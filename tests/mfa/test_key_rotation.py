"""MFA_ENCRYPTION_KEY rotation: old keys still decrypt (and match recovery
codes), every write uses the new key, and a secret used to sign in is written
again under the new key."""

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.mfa.crypto import MfaKeys, SecretUnreadable
from app.models import MfaTotp, User
from tests.fixtures.app import TEST_SECRETS, deliver_emails_after_responses
from tests.fixtures.app_factory import AppFactory, join_test_transaction
from tests.fixtures.mfa import enrol, password_login, verify
from tests.fixtures.sessions import bearer, browser_login

OLD_KEY = TEST_SECRETS["MFA_ENCRYPTION_KEY"]
NEW_KEY = "rotated-mfa-key-" + "n" * 32


def https_client(application: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application),
        base_url="https://testserver",
        event_hooks=deliver_emails_after_responses(application),
    )


@pytest.fixture
def rotated_app(
    app_factory: AppFactory, test_sessionmaker: async_sessionmaker[AsyncSession]
) -> FastAPI:
    return join_test_transaction(
        app_factory(MFA_ENCRYPTION_KEY=NEW_KEY, MFA_ENCRYPTION_OLD_KEYS=OLD_KEY),
        test_sessionmaker,
    )


async def stored_key_id(session: AsyncSession, user: User) -> str:
    row = await session.scalar(
        select(MfaTotp)
        .where(MfaTotp.user_id == user.id)
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row.key_id


async def test_after_rotation_old_secrets_work_and_are_rewritten(
    browser: httpx.AsyncClient,
    rotated_app: FastAPI,
    user: User,
    db_session: AsyncSession,
) -> None:
    enrolment = await enrol(browser, bearer(await browser_login(browser, user.email)))
    old_id, new_id = MfaKeys(OLD_KEY).current.id, MfaKeys(NEW_KEY).current.id
    assert await stored_key_id(db_session, user) == old_id

    async with https_client(rotated_app) as rotated:
        await password_login(rotated, user.email)
        totp = await verify(rotated, enrolment.code(1))
        await password_login(rotated, user.email)
        recovery = await verify(rotated, enrolment.recovery_codes[0])

    assert totp.status_code == 200, totp.text
    assert recovery.status_code == 200, recovery.text
    assert await stored_key_id(db_session, user) == new_id


async def test_after_rotation_new_secrets_use_the_new_key(
    rotated_app: FastAPI, user: User, db_session: AsyncSession
) -> None:
    async with https_client(rotated_app) as rotated:
        await enrol(rotated, bearer(await browser_login(rotated, user.email)))

    assert await stored_key_id(db_session, user) == MfaKeys(NEW_KEY).current.id


def test_a_secret_needs_its_key_and_its_account() -> None:
    owner, other = uuid.uuid4(), uuid.uuid4()
    ciphertext, key_id = MfaKeys(OLD_KEY).encrypt(
        "JBSWY3DPEHPK3PXP", context=owner.bytes
    )

    rotated = MfaKeys(NEW_KEY, [OLD_KEY])
    assert (
        rotated.decrypt(ciphertext, key_id, context=owner.bytes) == "JBSWY3DPEHPK3PXP"
    )
    with pytest.raises(SecretUnreadable):
        MfaKeys(NEW_KEY).decrypt(ciphertext, key_id, context=owner.bytes)
    with pytest.raises(SecretUnreadable):
        rotated.decrypt(ciphertext, key_id, context=other.bytes)
    assert rotated.code_hash("abc") != MfaKeys(OLD_KEY).code_hash("abc")
    assert MfaKeys(OLD_KEY).code_hash("abc") in rotated.code_hashes("abc")
