"""A real SMTP server for tests (aiosmtpd) on a free 127.0.0.1 port, keeping what it receives.

It can be stopped and started again on the same port, to play an SMTP server that is down."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.ports import free_port


@dataclass(frozen=True)
class ReceivedMail:
    """One e-mail the server accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    subject: str
    message_id: str
    body: str
    message: EmailMessage


class _Collector:
    """The aiosmtpd handler: parses and keeps every message it is given."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[ReceivedMail] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Keep the message and accept it."""
        content = envelope.original_content or b""
        message = message_from_bytes(content, policy=policy.default)
        body = message.get_body(("plain",))
        mail = ReceivedMail(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            subject=str(message["Subject"] or ""),
            message_id=str(message["Message-ID"] or ""),
            body=cast(str, body.get_content()) if body is not None else "",
            message=message,
        )
        with self.lock:
            self.received.append(mail)
        return "250 Message accepted for delivery"


class SmtpTestServer:
    """A local SMTP server with start/stop; the port stays the same across restarts."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._collector = _Collector()
        self._controller: Controller | None = None

    @property
    def running(self) -> bool:
        """True while the server accepts connections."""
        return self._controller is not None

    @property
    def messages(self) -> list[ReceivedMail]:
        """What the server accepted so far, oldest first."""
        with self._collector.lock:
            return list(self._collector.received)

    def start(self) -> None:
        """Listen on the port (again)."""
        if self._controller is not None:
            return
        controller = Controller(
            self._collector,
            hostname=self.host,
            port=self.port,
            server_hostname="smtp.test",
            ready_timeout=10.0,
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening: clients now get connection refused."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def clear(self) -> None:
        """Forget the messages received so far."""
        with self._collector.lock:
            self._collector.received.clear()

    def __enter__(self) -> SmtpTestServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
