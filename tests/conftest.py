"""Shared fixtures live in tests/fixtures/; this file only plugs them in."""

pytest_plugins = [
    "tests.fixtures.smtp",
    "tests.fixtures.database",
    "tests.fixtures.app",
    "tests.fixtures.users",
    "tests.fixtures.query_counter",
    "tests.fixtures.app_factory",
    "tests.fixtures.sessions",
    "tests.fixtures.oauth",
    "tests.fixtures.roles",
]
