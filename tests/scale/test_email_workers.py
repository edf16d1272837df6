"""Two outbox workers, one killed mid-send: every email once, bar the one in flight.

Each worker talks to an SMTP sink of its own (both real aiosmtpd servers
recording into one list), so the test knows which worker is sending what: the
sink of worker A holds its 18th message open, A is SIGKILLed at that moment,
and B must deliver everything else -- including the rest of A's leased batch,
once its lease has expired.
"""

import asyncio
import collections
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from app.db.session import create_engine, create_sessionmaker, session_scope
from app.models.email_outbox import SENT, EmailOutbox
from tests.fixtures.smtp import free_port
from tests.scale.conftest import Stack
from tests.scale.stack import migrate_command, run_to_end, started, worker_command

pytestmark = pytest.mark.scale

EMAILS = 200
# Worker A claims batches of 5: its 18th message is the 3rd of its 4th batch,
# so when A dies two more of its leased emails were never handed to SMTP.
KILL_AT = 18
# Guards only: the waits end as soon as the condition holds.
DELIVERY_DEADLINE_SECONDS = 180
# Each accepted message takes this long, so both workers are busy at once.
SMTP_PACE_SECONDS = 0.05


@dataclass
class Deliveries:
    """What the sinks accepted, in order: (sink name, recipient)."""

    accepted: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sink: str, recipient: str) -> None:
        with self.lock:
            self.accepted.append((sink, recipient))

    def by(self, sink: str) -> int:
        with self.lock:
            return sum(1 for name, _ in self.accepted if name == sink)

    def recipients(self) -> collections.Counter[str]:
        with self.lock:
            return collections.Counter(recipient for _, recipient in self.accepted)


class Sink:
    """An SMTP server's handler; optionally holds its `hold_at`-th message open."""

    def __init__(
        self, name: str, deliveries: Deliveries, hold_at: int | None = None
    ) -> None:
        self.name = name
        self.deliveries = deliveries
        self.hold_at = hold_at
        self.holding = threading.Event()
        self.release = threading.Event()
        self.held_recipient = ""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        recipient = envelope.rcpt_tos[0].lower()
        # Accepted (the worst case): the sender dies before it can mark it sent.
        self.deliveries.add(self.name, recipient)
        if self.hold_at is not None and self.deliveries.by(self.name) == self.hold_at:
            self.held_recipient = recipient
            self.holding.set()
            # The test sets it from its own thread, once A is dead.
            await asyncio.to_thread(self.release.wait, DELIVERY_DEADLINE_SECONDS)
        await asyncio.sleep(SMTP_PACE_SECONDS)
        return "250 Message accepted for delivery"


@pytest.fixture
def sinks() -> Iterator[tuple[Sink, int, Sink, int, Deliveries]]:
    deliveries = Deliveries()
    a, b = Sink("A", deliveries, hold_at=KILL_AT), Sink("B", deliveries)
    controllers = []
    ports = []
    for sink in (a, b):
        port = free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        ports.append(port)
    try:
        yield a, ports[0], b, ports[1], deliveries
    finally:
        a.release.set()
        for controller in controllers:
            controller.stop()


def recipient(index: int) -> str:
    return f"reader-{index:03d}@example.com"


async def queue_emails(stack: Stack) -> None:
    engine = create_engine(stack.settings())
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            session.add_all(
                EmailOutbox(
                    kind="scale_test",
                    recipient=recipient(index),
                    subject=f"Message {index}",
                    html=f"<p>Message {index}</p>",
                    text=f"Message {index}",
                )
                for index in range(EMAILS)
            )
    finally:
        await engine.dispose()


async def outbox_rows(stack: Stack) -> tuple[int, int]:
    """(rows sent, rows attempted more than once)."""
    engine = create_engine(stack.settings())
    try:
        async with engine.connect() as connection:
            sent = await connection.scalar(
                select(func.count()).where(EmailOutbox.status == SENT)
            )
            retried = await connection.scalar(
                select(func.count()).where(EmailOutbox.attempts > 1)
            )
        return sent or 0, retried or 0
    finally:
        await engine.dispose()


async def wait_for(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + DELIVERY_DEADLINE_SECONDS
    while not await condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        await asyncio.sleep(0.05)


async def test_two_workers_deliver_every_email_once_though_one_is_killed(
    empty_stack: Stack, sinks: tuple[Sink, int, Sink, int, Deliveries]
) -> None:
    sink_a, port_a, _, port_b, deliveries = sinks
    stack = empty_stack
    code, log = await run_to_end(migrate_command(), stack.env())
    assert code == 0, log
    await queue_emails(stack)
    worker_settings = {
        "OUTBOX_BATCH_SIZE": "5",
        "MAIL_TIMEOUT": "3",
        # A killed worker's lease: 5 x MAIL_TIMEOUT + 1 seconds.
        "OUTBOX_LEASE_MARGIN_SECONDS": "1",
        "OUTBOX_POLL_SECONDS": "0.5",
    }

    async with (
        started(
            "worker A",
            worker_command(),
            stack.env(MAIL_PORT=str(port_a), **worker_settings),
        ) as worker_a,
        started(
            "worker B",
            worker_command(),
            stack.env(MAIL_PORT=str(port_b), **worker_settings),
        ) as worker_b,
    ):

        async def a_is_sending() -> bool:
            return sink_a.holding.is_set()

        async def all_sent() -> bool:
            return (await outbox_rows(stack))[0] == EMAILS

        await wait_for(a_is_sending, "worker A's 18th email")
        worker_a.send(signal.SIGKILL)
        assert await worker_a.wait() == -signal.SIGKILL
        sink_a.release.set()

        await wait_for(all_sent, "every email marked sent")
        worker_b.send(signal.SIGTERM)
        assert await worker_b.wait() == 0, worker_b.log()

    received = deliveries.recipients()
    assert set(received) == {recipient(index) for index in range(EMAILS)}
    twice = {address: n for address, n in received.items() if n > 1}
    # The one message A was handing to SMTP when it died (the sink had accepted
    # it) went out again after its lease: no mail system is exactly-once across
    # a crash. Nothing else did.
    assert twice == {sink_a.held_recipient: 2}
    _, retried = await outbox_rows(stack)
    # A's leased batch (the held email and the two after it) was taken over by
    # B once the lease expired.
    assert retried >= 3
