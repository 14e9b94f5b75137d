"""Outgoing mail: SMTP when VALUETRACKER_MAIL_SERVER is set, else `.eml` files in the outbox.

Messages are built with the standard library's `email` package; callers pass text
and optional attachments, never hand-built MIME.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import getaddresses, make_msgid
from pathlib import Path
from typing import Any

from flask import current_app

from .validation import one_line


@dataclass
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"


@dataclass
class Message:
    to: str
    subject: str
    body: str
    attachments: list[Attachment] = field(default_factory=list)
    reply_to: str | None = None


def build(message: Message) -> EmailMessage:
    """The message; every header value is folded to one line first (`one_line`): a name
    stored with a line break (old data, an import) must not make the mail fail, nor add
    a header."""
    msg = EmailMessage()
    msg["From"] = one_line(current_app.config["MAIL_SENDER"])
    msg["To"] = one_line(message.to)
    msg["Subject"] = one_line(message.subject)
    if message.reply_to:
        msg["Reply-To"] = one_line(message.reply_to)
    domain = current_app.config["MAIL_SENDER"].rpartition("@")[2] or "localhost"
    msg["Message-ID"] = make_msgid(domain=domain)
    msg.set_content(message.body)
    for item in message.attachments:
        msg.add_attachment(item.content, maintype=item.maintype, subtype=item.subtype,
                           filename=item.filename)
    return msg


def send(message: Message) -> str:
    """Send (or write to the outbox) and return the Message-ID."""
    msg = build(message)
    config = current_app.config
    if config.get("MAIL_SERVER"):
        with smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25),
                          timeout=30) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(msg)
    else:
        outbox = Path(config["OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)
        name = msg["Message-ID"].strip("<>").replace("@", "_at_").replace("/", "_")
        (outbox / f"{name}.eml").write_bytes(bytes(msg))
    return str(msg["Message-ID"])


def remove_from_outbox(address: str) -> int:
    """Delete the outbox's `.eml` files addressed to `address` (a person's erasure); returns
    how many. Mail sent by SMTP has left the app and is not affected."""
    outbox = Path(current_app.config["OUTBOX_DIR"])
    wanted = address.strip().lower()
    if not wanted or not outbox.is_dir():
        return 0
    parser = BytesHeaderParser(policy=default_policy)
    removed = 0
    for path in outbox.glob("*.eml"):
        with path.open("rb") as handle:  # the header block only, not the attachments
            head = b"".join(iter(lambda: _header_line(handle), b""))
        headers = parser.parsebytes(head)
        recipients = getaddresses([str(v) for v in headers.get_all("To", [])])
        if any(addr.strip().lower() == wanted for _name, addr in recipients):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _header_line(handle: Any) -> bytes:
    line: bytes = handle.readline()
    return b"" if line in (b"\r\n", b"\n") else line
