"""A real SMTP server on loopback for the tests and the benchmark: aiosmtpd's Controller on
127.0.0.1, whose handler keeps what it receives and can refuse an address for good (550) or
for a while (451 a given number of times, then accept)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """aiosmtpd handler: 550 for `refused` addresses, 451 `busy[address]` times, else 250."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.refused: set[str] = set()
        self.busy: dict[str, int] = {}
        self.answers: list[tuple[str, str]] = []  # (address, first three digits)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            self.answers.append((address, "550"))
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if self.busy.get(address, 0) > 0:
            self.busy[address] -= 1
            self.answers.append((address, "451"))
            return "451 4.7.1 Greylisted, please try again later"
        self.answers.append((address, "250"))
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        out = []
        for envelope in self.envelopes:
            assert isinstance(envelope.content, bytes)
            message = message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(message, EmailMessage)
            out.append(message)
        return out

    def to(self, address: str) -> list[EmailMessage]:
        return [
            m for m, e in zip(self.messages(), self.envelopes, strict=True) if address in e.rcpt_tos
        ]


@contextmanager
def smtp_server() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()
