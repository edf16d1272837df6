"""Running the commands as a person does: a real process, its output and status."""

import asyncio
import os
import sys
from dataclasses import dataclass

from app.core.config import PROJECT_ROOT
from tests.fixtures.app import TEST_SECRETS

# Guards against a hung child only; no test asserts on how long anything takes.
CHILD_DEADLINE_SECONDS = 180


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def cli_env(database_url: str, **variables: str) -> dict[str, str]:
    """A test environment: no FIRST_SUPERUSER_*, no SMTP, cheap hashing."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("FIRST_SUPERUSER_", "MIGRATIONS_DATABASE_URL"))
    }
    env.update(
        DATABASE_URL=database_url,
        ENVIRONMENT="test",
        MAIL_SERVER="",
        ARGON2_MEMORY_COST_KIB="1024",
        ARGON2_TIME_COST="1",
        **TEST_SECRETS,
    )
    env.update(variables)
    return env


async def run_cli(
    *command: str, env: dict[str, str], stdin: bytes | None = None
) -> Result:
    """Run `command` (`-m module ...` runs this interpreter) to its end."""
    program = (sys.executable, *command) if command[0] == "-m" else command
    process = await asyncio.create_subprocess_exec(
        *program,
        cwd=PROJECT_ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    try:
        async with asyncio.timeout(CHILD_DEADLINE_SECONDS):
            stdout, stderr = await process.communicate(stdin)
    finally:
        if process.returncode is None:
            os.killpg(process.pid, 9)
            await process.wait()
    assert process.returncode is not None
    return Result(process.returncode, stdout.decode(), stderr.decode())
