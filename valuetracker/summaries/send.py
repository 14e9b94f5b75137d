"""Send a stored summary PDF to its stakeholder, at most once.

The Distribution row is claimed BEFORE the mail goes out: an INSERT (the unique
(summary, channel) constraint makes a second insert fail) or a conditional UPDATE
from `failed`/`skipped` back to `pending`. Only the caller that claimed the row
sends, so a retry, a second click or two workers never send the same summary twice.
A row left `pending` by a crash mid-send is not retried automatically (the mail may
have gone out); it shows as pending for a person to check.

The message text is an admin-editable template (Setting "summary_email_template",
default `templates/emails/summary.txt`) with `$name`-style placeholders filled by
`string.Template`: an admin's text is never evaluated as code.
"""

from __future__ import annotations

from pathlib import Path
from string import Template

import sqlalchemy as sa
from flask import current_app
from sqlmodel import Session, select

from .. import mail
from ..config import TEMPLATES_DIR
from ..models import (
    ERASED,
    Account,
    Distribution,
    Setting,
    Stakeholder,
    User,
    ValueSummary,
    utcnow,
)

TEMPLATE_KEY = "summary_email_template"
DEFAULT_TEMPLATE = TEMPLATES_DIR / "emails" / "summary.txt"
PLACEHOLDERS = ("name", "first_name", "account", "quarter", "sender")
CHANNEL = "email"


def default_message_template() -> str:
    return DEFAULT_TEMPLATE.read_text(encoding="utf-8")


def message_template(session: Session) -> str:
    """The admin-edited message template, or the bundled default."""
    row = session.get(Setting, TEMPLATE_KEY)
    if row is not None and isinstance(row.value, str) and row.value.strip():
        return row.value
    return default_message_template()


def save_message_template(session: Session, text: str) -> None:
    """Store the edited template (the caller commits); empty restores the default."""
    row = session.get(Setting, TEMPLATE_KEY) or Setting(key=TEMPLATE_KEY)
    text = text.strip()
    row.value = None if text == default_message_template().strip() else (text or None)
    row.updated_at = utcnow()
    session.add(row)


def skip_reason(stakeholder: Stakeholder | None) -> str | None:
    """Why this person must not receive a summary by e-mail, or None: the model's rule
    (`Stakeholder.contact_block_reason`). A summary without its person counts as erased.
    The reason is stored as the skipped sending's error."""
    if stakeholder is None:
        return ERASED
    return stakeholder.contact_block_reason(by_email=True)


def _claim(session: Session, summary: ValueSummary, recipient: str | None, status: str,
           error: str | None = None) -> Distribution | None:
    """Claim the summary's Distribution row with `status`; None if someone else holds it."""
    row = Distribution(summary_id=summary.id, channel=CHANNEL, recipient=recipient,
                       status=status, error=error)
    session.add(row)
    try:
        session.commit()
        return row
    except sa.exc.IntegrityError:
        session.rollback()
    result = session.execute(
        sa.update(Distribution)
        .where(Distribution.summary_id == summary.id, Distribution.channel == CHANNEL,
               Distribution.status.in_(("failed", "skipped")))
        .values(status=status, recipient=recipient, error=error)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if result.rowcount != 1:
        return None
    return session.exec(select(Distribution).where(
        Distribution.summary_id == summary.id, Distribution.channel == CHANNEL)).one()


def send_summary(session: Session, summary: ValueSummary) -> Distribution:
    """Send one summary by mail (or skip it, with why). Commits its own claim and result.

    Returns the summary's Distribution row; when it was already pending or sent, that
    row is returned untouched and nothing is sent.
    """
    stakeholder = session.get(Stakeholder, summary.stakeholder_id) if summary.stakeholder_id \
        else None
    existing = session.exec(select(Distribution).where(
        Distribution.summary_id == summary.id, Distribution.channel == CHANNEL)).first()
    if existing is not None and existing.status in ("sent", "pending"):
        return existing
    reason = skip_reason(stakeholder)
    if reason is not None:
        claimed = _claim(session, summary, None, "skipped", reason)
        return claimed or _current(session, summary)
    assert stakeholder is not None
    claimed = _claim(session, summary, stakeholder.email, "pending")
    if claimed is None:
        return _current(session, summary)
    account = session.get(Account, summary.account_id)
    assert account is not None
    sender = session.exec(select(User.name).where(User.id == account.owner_id)).first() \
        if account.owner_id else None
    path = Path(current_app.config["REPORTS_DIR"]) / summary.file_path
    try:
        content = path.read_bytes()
        values = {"name": stakeholder.name, "first_name": stakeholder.name.split()[0],
                  "account": account.name, "quarter": summary.quarter,
                  "sender": sender or "Your account team"}
        body = Template(message_template(session)).safe_substitute(values)
        message_id = mail.send(mail.Message(
            to=stakeholder.email or "",
            subject=f"Your value summary {summary.quarter} — {account.name}",
            body=body,
            attachments=[mail.Attachment(filename=Path(summary.file_path).name,
                                         content=content)],
        ))
    except Exception as exc:
        claimed.status, claimed.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        session.add(claimed)
        session.commit()
        raise
    claimed.status, claimed.sent_at, claimed.message_id = "sent", utcnow(), message_id[:255]
    claimed.error = None
    session.add(claimed)
    session.commit()
    return claimed


def _current(session: Session, summary: ValueSummary) -> Distribution:
    return session.exec(select(Distribution).where(
        Distribution.summary_id == summary.id, Distribution.channel == CHANNEL)).one()
