"""Draining on SIGTERM: say "not ready" first, stop serving a little later.

A load balancer (or Kubernetes) keeps sending requests to an instance until its
readiness probe fails; an instance that stopped accepting at the first SIGTERM
would refuse the requests sent in that interval. So the first SIGTERM only
marks the process as draining (`/health/ready` answers 503 at once) and hands
the signal to the server `drain_seconds` later; uvicorn then stops accepting,
lets in-flight requests finish (at most `--timeout-graceful-shutdown`) and
exits. A second SIGTERM (or SIGINT) goes to the server straight away.

Installed by the app's lifespan, in each worker process, over the handler the
server installed (uvicorn's), and only when there is one: under a test client
the process keeps its own.
"""

import asyncio
import signal
import threading
from collections.abc import Callable
from types import FrameType


def install_drain_handler(
    drain_seconds: float, on_drain: Callable[[], None]
) -> Callable[[], None] | None:
    """Delay SIGTERM by `drain_seconds`, calling `on_drain` at once.

    Returns the function restoring the previous handler, or None when nothing
    was installed (no delay asked, not the main thread, no server's handler).
    """
    if drain_seconds <= 0 or threading.current_thread() is not threading.main_thread():
        return None
    server_handler = signal.getsignal(signal.SIGTERM)
    if not callable(server_handler):
        return None
    loop = asyncio.get_running_loop()
    draining = False

    def hand_over(signum: int) -> None:
        server_handler(signum, None)

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        nonlocal draining
        if draining:
            server_handler(signum, frame)
            return
        draining = True
        on_drain()
        loop.call_soon_threadsafe(loop.call_later, drain_seconds, hand_over, signum)

    signal.signal(signal.SIGTERM, on_sigterm)

    def restore() -> None:
        signal.signal(signal.SIGTERM, server_handler)

    return restore
