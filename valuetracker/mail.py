"""Outgoing mail: SMTP when VALUETRACKER_MAIL_SERVER is set, else `.eml` files in the outbox.

Messages are built with the standard library's `email` package; callers pass text, an
optional HTML alternative with its inline images, extra headers and attachments, never
hand-built MIME. Mail to a customer's people is composed by `stakeholder_mail.compose`
(identity, signature, unsubscribe), which hands this module a `Message`.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import getaddresses, make_msgid, parseaddr
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
class Inline:
    """An image the HTML part shows as `cid:<cid>` (sent inside the mail, never fetched)."""

    cid: str
    content: bytes
    maintype: str = "image"
    subtype: str = "png"


@dataclass
class Message:
    to: str
    subject: str
    body: str
    attachments: list[Attachment] = field(default_factory=list)
    # "Name <address>" text, or an Address (a display name is quoted as needed).
    reply_to: str | Address | None = None
    html: str | None = None  # the HTML alternative of `body`
    inline: list[Inline] = field(default_factory=list)  # images `html` refers to
    from_name: str | None = None  # display name beside MAIL_SENDER
    headers: dict[str, str] = field(default_factory=dict)  # e.g. List-Unsubscribe


# Header lines may be up to 998 characters (RFC 5322). With the default 78 the library
# turns a long unbreakable value (a List-Unsubscribe URL) into encoded words, which mail
# clients then cannot read as a URL.
POLICY = default_policy.clone(max_line_length=998)


def sender_address() -> str:
    """The bare address of MAIL_SENDER (a configured "Name <address>" gives its address)."""
    return parseaddr(str(current_app.config["MAIL_SENDER"]))[1] or "valuetracker@localhost"


def address(name: str | None, addr: str) -> Address | str:
    """`addr` with a display name (folded to one line); the bare address without one."""
    shown = one_line(name or "")
    return Address(display_name=shown, addr_spec=addr) if shown else addr


def new_cid() -> str:
    """A Content-ID for an inline image, unique like a Message-ID (without the brackets)."""
    return make_msgid(domain=sender_address().rpartition("@")[2] or "localhost")[1:-1]


def build(message: Message) -> EmailMessage:
    """The message; every header value is folded to one line first (`one_line`): a name
    stored with a line break (old data, an import) must not make the mail fail, nor add
    a header."""
    msg = EmailMessage(policy=POLICY)
    sender = sender_address()
    msg["From"] = address(message.from_name, sender) if message.from_name \
        else one_line(current_app.config["MAIL_SENDER"])
    msg["To"] = one_line(message.to)
    msg["Subject"] = one_line(message.subject)
    if message.reply_to:
        msg["Reply-To"] = message.reply_to if isinstance(message.reply_to, Address) \
            else one_line(message.reply_to)
    for name, value in message.headers.items():
        msg[name] = one_line(value)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    msg.set_content(message.body)
    if message.html is not None:
        msg.add_alternative(message.html, subtype="html")
        html_part = msg.get_payload()[-1]
        for image in message.inline:
            html_part.add_related(image.content, maintype=image.maintype,
                                  subtype=image.subtype, cid=f"<{image.cid}>",
                                  disposition="inline")
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
