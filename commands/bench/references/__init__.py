"""The reference apps the benchmark measures gatehouse against, in the same run.

- bare (`bare.py`): FastAPI with one route returning a constant; what FastAPI
  and uvicorn cost with nothing on top.
- ceiling (`ceiling.py`): bare plus the one database round trip an
  authenticated request cannot avoid: a primary-key SELECT of one users row
  through a raw asyncpg pool, returned as JSON.
- stock (`stock.py`): fastapi-users set up as its documentation's full example
  does (JWT bearer, the stock SQLAlchemyUserDatabase, its users router), over
  the same seeded `users` table.

Each is a factory (`create_app`) served by uvicorn with the app's settings
(`commands.bench.server`); its configuration comes from the environment below.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.engine import make_url

from commands.bench.server import ServerSpec

DATABASE_URL_VARIABLE = "BENCH_REFERENCE_DATABASE_URL"  # SQLAlchemy form
POOL_SIZE_VARIABLE = "BENCH_REFERENCE_POOL_SIZE"
MAX_OVERFLOW_VARIABLE = "BENCH_REFERENCE_MAX_OVERFLOW"
USER_ID_VARIABLE = "BENCH_CEILING_USER_ID"
SECRET_VARIABLE = "BENCH_STOCK_SECRET"

BARE_PATH = "/"
CEILING_PATH = "/user"
STOCK_LOGIN_PATH = "/auth/jwt/login"
STOCK_ME_PATH = "/users/me"


@dataclass(frozen=True)
class ReferenceDatabase:
    """The database and pool size the ceiling and stock apps read from."""

    url: str  # postgresql+asyncpg://...
    pool_size: int
    max_overflow: int

    @classmethod
    def from_environment(cls) -> "ReferenceDatabase":
        return cls(
            url=os.environ[DATABASE_URL_VARIABLE],
            pool_size=int(os.environ[POOL_SIZE_VARIABLE]),
            max_overflow=int(os.environ[MAX_OVERFLOW_VARIABLE]),
        )

    @property
    def asyncpg_dsn(self) -> str:
        """The URL without SQLAlchemy's driver name, as asyncpg takes it."""
        plain = make_url(self.url).set(drivername="postgresql")
        return plain.render_as_string(hide_password=False)

    def environment(self) -> dict[str, str]:
        return {
            DATABASE_URL_VARIABLE: self.url,
            POOL_SIZE_VARIABLE: str(self.pool_size),
            MAX_OVERFLOW_VARIABLE: str(self.max_overflow),
        }


def reference_specs(
    database: ReferenceDatabase, ceiling_user_id: str, stock_secret: str
) -> list[ServerSpec]:
    """bare, ceiling and stock, in the order a round loads them."""
    shared: Mapping[str, str] = database.environment()
    package = __name__
    return [
        ServerSpec("bare", f"{package}.bare:create_app", BARE_PATH, factory=True),
        ServerSpec(
            "ceiling",
            f"{package}.ceiling:create_app",
            CEILING_PATH,
            {**shared, USER_ID_VARIABLE: ceiling_user_id},
            factory=True,
        ),
        ServerSpec(
            "stock",
            f"{package}.stock:create_app",
            "/docs",  # its users routes all need a token
            {**shared, SECRET_VARIABLE: stock_secret},
            factory=True,
        ),
    ]
