"""A real SMTP server for the browser tests, and a JSON view of what it received.

    uv run --frozen python frontend/e2e/support/smtp_sink.py \
        --smtp-port 2525 --http-port 2580

GET http://127.0.0.1:<http-port>/messages answers every message received so far:
`[{"recipients": [...], "subject": ..., "text": ..., "html": ...}]`.
"""

import argparse
import json
import signal
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


class Mailbox:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[dict[str, Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        received = {
            "recipients": list(envelope.rcpt_tos),
            "subject": str(message["subject"]),
            "text": _part(message, "text/plain"),
            "html": _part(message, "text/html"),
        }
        with self._lock:
            self._messages.append(received)
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._messages)


def _part(message: EmailMessage, content_type: str) -> str | None:
    for part in message.walk():
        if part.get_content_type() == content_type:
            return str(part.get_content())
    return None


def serve_json(mailbox: Mailbox, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/messages":
                self.send_error(404)
                return
            body = json.dumps(mailbox.snapshot()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the tests poll this endpoint; their polls are not news

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--http-port", type=int, required=True)
    arguments = parser.parse_args()

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=arguments.smtp_port)
    controller.start()
    http_server = serve_json(mailbox, arguments.http_port)
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    http_server.shutdown()
    controller.stop()


if __name__ == "__main__":
    main()
