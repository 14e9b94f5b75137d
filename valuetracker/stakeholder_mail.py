"""Mail to a customer's people: one composition for every message we send them.

Every mail to a stakeholder (the quarterly summary, the confirm-value and pulse links,
and any later one: a buyer survey, a reminder) is made by `compose`, so they all look
and behave alike:

- From: the branding's company name, at the configured sender address (MAIL_SENDER);
- Reply-To: the account manager (`account_manager`), whose name, title and address
  sign the mail, so "just reply" reaches a person;
- a plain-text part and an HTML part in the brand's colour with the logo sent inside
  the mail (`cid:`, never a remote URL), both from `templates/emails/_stakeholder.*`
  around the same message text (the HTML paragraphs are made from that text, so an
  admin-edited text needs no HTML of its own);
- an unsubscribe link in both parts and the `List-Unsubscribe` and
  `List-Unsubscribe-Post` headers (RFC 2369 and RFC 8058 one-click), both leading to
  `public.unsubscribe*` with the person's signed unsubscribe token.

Callers send the result with `mail.send`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from flask import render_template
from sqlmodel import Session

from . import links, mail
from .models import AccessLink, Account, Deal, Stakeholder, User
from .summaries.branding import Branding, branding_dir, get_branding

LOGO_SUBTYPES = {"png": "png", "jpg": "jpeg"}
URL_LINE = re.compile(r"https?://\S+")
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class Action:
    """The mail's call to action: the text's line holding exactly `url` becomes a button
    labelled `label` in the HTML part (the plain text keeps the URL)."""

    url: str
    label: str


@dataclass(frozen=True)
class Block:
    """One paragraph of the HTML part: lines of text, or a link (`url`, `label`) on its
    own line, shown as a button when it is the mail's action."""

    lines: tuple[str, ...] = ()
    url: str | None = None
    label: str | None = None
    button: bool = False


def account_manager(session: Session, account: Account, *,
                    fallback: User | None = None) -> User | None:
    """Who signs a mail to the account's people and receives their replies: the
    account's owner (its account manager) while their user is active, else `fallback`
    (the user sending it), else nobody (the mail is signed by "your account team" and
    has no Reply-To)."""
    owner = session.get(User, account.owner_id) if account.owner_id else None
    if owner is not None and owner.active:
        return owner
    return fallback  # an inactive owner's mailbox may be gone: never send replies there


def asker(session: Session, link: AccessLink) -> User | None:
    """Who asks through a link, as its page names them ("Maria Lopez at … asks"): the one
    who signed its mail (`account_manager` of the link's account, or of the deal's, with
    the person who sent it as the fallback). Someone deactivated since is passed over;
    None when nobody is left (the page names the company alone)."""
    account_id = link.account_id
    if account_id is None and link.deal_id is not None:
        deal = session.get(Deal, link.deal_id)
        account_id = deal.account_id if deal is not None else None
    account = session.get(Account, account_id) if account_id is not None else None
    sender = session.get(User, link.created_by_id) if link.created_by_id else None
    if sender is not None and not sender.active:
        sender = None
    if account is None:
        return sender
    return account_manager(session, account, fallback=sender)


def text_blocks(text: str, action: Action | None = None) -> list[Block]:
    """The HTML part's paragraphs, from the plain text: paragraphs are separated by a blank
    line, and a line that is only a URL is a link of its own (the action's, a button)."""
    blocks: list[Block] = []
    for paragraph in PARAGRAPH_BREAK.split(text.strip().replace("\r\n", "\n")):
        lines: list[str] = []
        for line in paragraph.split("\n"):
            stripped = line.strip()
            if URL_LINE.fullmatch(stripped):
                if lines:
                    blocks.append(Block(lines=tuple(lines)))
                    lines = []
                is_action = action is not None and stripped == action.url
                blocks.append(Block(url=stripped, label=action.label if is_action and action
                                    else stripped, button=is_action))
            else:
                lines.append(line.rstrip())
        if any(lines):
            blocks.append(Block(lines=tuple(lines)))
    return blocks


def readable_on(color: str) -> str:
    """Black or white, whichever reads better on the `#rrggbb` background `color`
    (the WCAG relative luminance, rounded to the two choices)."""
    channels = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#111111" if luminance > 0.179 else "#ffffff"


def _logo(branding: Branding) -> mail.Inline | None:
    """The brand's logo as an inline image of the mail, or None (no logo, or its file is
    gone): the HTML then shows the company name instead."""
    if not branding.logo_filename:
        return None
    path = branding_dir() / branding.logo_filename
    try:
        content = path.read_bytes()
    except OSError:
        return None
    subtype = LOGO_SUBTYPES.get(path.suffix.lstrip("."), "png")
    return mail.Inline(cid=mail.new_cid(), content=content, subtype=subtype)


def attachment_name(account: Account, stakeholder: Stakeholder | None, quarter: str,
                    what: str = "value-summary") -> str:
    """`<company>-<what>-<quarter>-<person>.pdf`, slugified (the quarter keeps its
    `2026-Q3` form): what the customer sees in their mail, e.g.
    `acme-robotics-value-summary-2026-Q3-grace-hopper.pdf`."""
    from .models import slugify

    person = f"-{slugify(stakeholder.name)}" if stakeholder is not None else ""
    return f"{slugify(account.name)}-{what}-{slugify(quarter).upper()}{person}.pdf"


def compose(session: Session, *, account: Account, stakeholder: Stakeholder, subject: str,
            text: str, manager: User | None, action: Action | None = None,
            attachments: Sequence[mail.Attachment] = ()) -> mail.Message:
    """The mail to `stakeholder` with `text` as its message (plain text, paragraphs
    separated by blank lines, ending with its closing words such as "Best regards,"),
    signed by `manager` (see `account_manager`), ready for `mail.send`.

    The caller decides whether the person may be mailed (`contact_block_reason`).
    """
    branding = get_branding(session)
    unsubscribe = links.unsubscribe_token(stakeholder.id)  # type: ignore[arg-type]
    unsubscribe_url = links.public_url("public.unsubscribe", token=unsubscribe)
    one_click_url = links.public_url("public.unsubscribe_one_click", token=unsubscribe)
    logo = _logo(branding)
    context = {
        "text": text.strip(), "blocks": text_blocks(text, action), "subject": subject,
        "account": account, "stakeholder": stakeholder, "manager": manager,
        "company": branding.company_name, "color": branding.primary_color,
        "color_text": readable_on(branding.primary_color),
        "logo_cid": logo.cid if logo is not None else None,
        "unsubscribe_url": unsubscribe_url,
    }
    return mail.Message(
        to=stakeholder.email or "",
        subject=subject,
        body=render_template("emails/_stakeholder.txt", **context),
        html=render_template("emails/_stakeholder.html", **context),
        inline=[logo] if logo is not None else [],
        attachments=list(attachments),
        from_name=branding.company_name,
        reply_to=mail.address(manager.name, manager.email) if manager is not None else None,
        headers={"List-Unsubscribe": f"<{one_click_url}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
