"""Every command's --help explains every option it has."""

import pkgutil
import re

import pytest

import commands
from tests.commands.cli import cli_env, run_cli

COMMANDS = sorted(
    module.name
    for module in pkgutil.iter_modules(commands.__path__)
    if not module.name.startswith("_")
)
# Subcommands with options of their own.
SUBCOMMANDS = [
    ("bench", "lists"),
    *(("roles", action) for action in ("create", "grant", "revoke", "apply")),
]
OPTION = re.compile(r"^  (-\S+.*?)(?:\s{2,}(\S.*))?$")


def options_without_help(help_text: str) -> list[str]:
    """The options of argparse's help whose line and next line explain nothing."""
    lines = help_text.splitlines()
    section = lines[lines.index("options:") + 1 :]
    missing = []
    for index, line in enumerate(section):
        match = OPTION.match(line)
        if match is None:
            continue
        following = section[index + 1] if index + 1 < len(section) else ""
        explained = match.group(2) or following.startswith(" " * 4)
        if not explained:
            missing.append(match.group(1))
    return missing


def test_every_command_module_is_checked() -> None:
    assert {
        "create_superuser",
        "migrate",
        "purge_tokens",
        "roles",
        "send_emails",
        "send_test_email",
        "bench",
    } <= set(COMMANDS)


@pytest.mark.parametrize(
    "command", [(name,) for name in COMMANDS] + SUBCOMMANDS, ids=" ".join
)
async def test_help_has_a_line_for_every_option(command: tuple[str, ...]) -> None:
    name, *subcommand = command
    result = await run_cli(
        "-m", f"commands.{name}", *subcommand, "--help", env=cli_env("sqlite://")
    )

    assert result.exit_code == 0, result.output
    assert "options:" in result.stdout
    assert options_without_help(result.stdout) == []
