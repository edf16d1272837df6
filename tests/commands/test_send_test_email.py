"""`python -m commands.send_test_email`: the operator's first check of MAIL_*."""

from tests.commands.cli import cli_env, run_cli
from tests.fixtures.app_factory import closed_port
from tests.fixtures.smtp import Mailbox

COMMAND = ("-m", "commands.send_test_email")


def smtp_env(port: int) -> dict[str, str]:
    return cli_env(
        "sqlite://",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(port),
        MAIL_STARTTLS="false",
        MAIL_FROM="gatehouse@example.com",
    )


async def test_it_sends_through_smtp_and_reports_the_servers_answer(
    smtp_server: tuple[Mailbox, int], mailbox: Mailbox
) -> None:
    _, port = smtp_server

    result = await run_cli(*COMMAND, "--to", "ops@example.com", env=smtp_env(port))

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Sent a test email to ops@example.com through 127.0.0.1:{port}; the server "
        "answered: 250 Message accepted for delivery\n"
    )
    [email] = await mailbox.wait_for("ops@example.com")
    assert email.subject == "gatehouse test email"
    assert "the MAIL_* settings work" in email.part("text/plain")
    assert "gatehouse@example.com" in str(email.message["from"])


async def test_a_closed_smtp_port_is_one_line_and_exit_2() -> None:
    port = closed_port()

    result = await run_cli(*COMMAND, "--to", "ops@example.com", env=smtp_env(port))

    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: 127.0.0.1:{port}: connection refused: is the SMTP server running "
        "on that port?\n"
    )
    assert "Traceback" not in result.output


async def test_a_tls_problem_is_named(smtp_server: tuple[Mailbox, int]) -> None:
    _, port = smtp_server
    # The test server speaks plain SMTP: a TLS handshake with it fails.
    env = {**smtp_env(port), "MAIL_SSL_TLS": "true"}

    result = await run_cli(*COMMAND, "--to", "ops@example.com", env=env)

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"Error: 127.0.0.1:{port}: ")
    assert "TLS" in result.stderr or "SSL" in result.stderr
    assert len(result.stderr.splitlines()) == 1


async def test_without_mail_server_the_email_goes_to_the_log() -> None:
    result = await run_cli(
        *COMMAND, "--to", "ops@example.com", env=cli_env("sqlite://")
    )

    assert result.exit_code == 0, result.output
    assert "MAIL_SERVER is not set: emails go to the log." in result.stdout
    assert "to=ops@example.com subject='gatehouse test email'" in result.stderr
    assert "the MAIL_* settings work" in result.stderr


async def test_an_invalid_address_is_refused() -> None:
    result = await run_cli(*COMMAND, "--to", "ops@", env=cli_env("sqlite://"))

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: invalid email address 'ops@'")
