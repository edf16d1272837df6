"""Nothing a request can add to grows without bound: every cache has a size limit.

The verified-token cache is the one clients fill (one entry per access token
they present); the SQL caches are the libraries', sized by the engine.
"""

import uuid

from fastapi import FastAPI

from app.auth.access_tokens import VERIFIED_TOKENS_CACHED, SessionJWTStrategy
from app.models import User


def token_for(strategy: SessionJWTStrategy, user: User) -> str:
    return strategy.write_session_token(user, uuid.uuid4())


async def test_the_verified_token_cache_stops_at_its_limit(app: FastAPI) -> None:
    strategy = SessionJWTStrategy(secret="s" * 40, lifetime_seconds=600)
    user = User(id=uuid.uuid4(), email="cache@example.com", token_version=0)
    first = token_for(strategy, user)

    assert strategy._decode(first) is not None
    for _ in range(VERIFIED_TOKENS_CACHED + 50):
        assert strategy._decode(token_for(strategy, user)) is not None

    assert strategy.cached_tokens() == VERIFIED_TOKENS_CACHED
    # The oldest was forgotten, not refused: it is verified again when presented.
    claims = strategy._decode(first)
    assert claims is not None
    assert claims.user_id == user.id
    assert strategy.cached_tokens() == VERIFIED_TOKENS_CACHED


async def test_a_bad_token_is_cached_as_refused_within_the_same_limit(
    app: FastAPI,
) -> None:
    strategy = SessionJWTStrategy(secret="s" * 40, lifetime_seconds=600)

    for n in range(VERIFIED_TOKENS_CACHED + 10):
        assert strategy._decode(f"not-a-token-{n}") is None

    assert strategy.cached_tokens() == VERIFIED_TOKENS_CACHED


async def test_the_apps_sql_caches_are_bounded(app: FastAPI) -> None:
    for engine in (app.state.engine, app.state.read_engine):
        compiled = engine.sync_engine._compiled_cache
        assert compiled is not None
        assert 0 < compiled.capacity <= 1000
        if engine.dialect.name != "postgresql":
            continue
        # The prepared statements each asyncpg connection keeps (SQLAlchemy's LRU).
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            statements = raw.dbapi_connection._prepared_statement_cache
            assert 0 < statements.capacity <= 1000
