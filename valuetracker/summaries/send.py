"""Send a stored summary PDF to its stakeholder, at most once.

The Distribution row is claimed BEFORE the mail goes out: an INSERT (the unique
(summary, channel) constraint makes a second insert fail) or a conditional UPDATE
from `failed`/`skipped` back to `pending`. Only the caller that claimed the row
sends, so a retry, a second click or two workers never send the same summary twice.
A row left `pending` by a crash mid-send is not retried automatically (the mail may
have gone out). It becomes "delivery unknown": set as its status when the batch finds
the item's worker dead (`mark_unknown`, from summaries/runs.py), and shown as such
once it has been pending longer than DELIVERY_UNKNOWN_AFTER seconds whatever the
cause (`unknown_condition`). A person then resolves it: `mark_delivered` (they
checked that the mail arrived) or `resend` (sent again, recorded as a resend).

The message text is an admin-editable template (Setting "summary_email_template",
default `templates/emails/summary.txt`) with `$name`-style placeholders filled by
`string.Template`: an admin's text is never evaluated as code. The mail around it
(sender, Reply-To, signature, HTML part, unsubscribe link) is `stakeholder_mail.compose`,
as for every mail to a stakeholder; the PDF is attached as
`<company>-value-summary-<quarter>-<person>.pdf` (`stakeholder_mail.attachment_name`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from string import Template
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlmodel import Session, select

from .. import audit, events, mail, stakeholder_mail
from ..config import TEMPLATES_DIR
from ..db import claim_row
from ..models import (
    DELIVERY_UNKNOWN,
    ERASED,
    Account,
    Distribution,
    Job,
    Setting,
    Stakeholder,
    User,
    ValueSummary,
    utcnow,
)
from .scope import SEND_ACCOUNT_STATUS, account_exclusion

TEMPLATE_KEY = "summary_email_template"
DEFAULT_TEMPLATE = TEMPLATES_DIR / "emails" / "summary.txt"
PLACEHOLDERS = ("name", "first_name", "account", "quarter", "sender", "sender_title")
CHANNEL = "email"
# Seconds a sending may stay `pending` before it counts as delivery unknown anyway
# (the DELIVERY_UNKNOWN_AFTER setting); well past the mail server's 30 s timeout.
DEFAULT_UNKNOWN_AFTER = 600


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


def skip_reason(stakeholder: Stakeholder | None, account: Account | None = None) -> str | None:
    """Why this person must not receive a summary by e-mail, or None: the model's rule
    (`Stakeholder.contact_block_reason`), and, given the account, its status at the time
    of sending (a summary generated before the account churned is not sent: "account
    churned", as in the quarter's send). A summary without its person counts as erased.
    The reason is stored as the skipped sending's error."""
    if stakeholder is None:
        return ERASED
    if account is not None and account.status != SEND_ACCOUNT_STATUS:
        return account_exclusion(account.status)
    return stakeholder.contact_block_reason(by_email=True)


def _claim(session: Session, summary: ValueSummary, recipient: str | None, status: str,
           error: str | None = None) -> Distribution | None:
    """Claim the summary's Distribution row with `status`; None if someone else holds it."""
    row = Distribution(summary_id=summary.id, channel=CHANNEL, recipient=recipient,
                       status=status, error=error)
    if not claim_row(session, row, sa.update(Distribution)
                     .where(Distribution.summary_id == summary.id,
                            Distribution.channel == CHANNEL,
                            Distribution.status.in_(("failed", "skipped")))
                     .values(status=status, recipient=recipient, error=error,
                             created_at=utcnow())):
        return None
    if sa.inspect(row).persistent:
        return row
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
    if existing is not None and existing.status in ("sent", "pending", DELIVERY_UNKNOWN):
        return existing  # never a second automatic sending
    reason = skip_reason(stakeholder, session.get(Account, summary.account_id))
    if reason is not None:
        claimed = _claim(session, summary, None, "skipped", reason)
        return claimed or _current(session, summary)
    assert stakeholder is not None
    claimed = _claim(session, summary, stakeholder.email, "pending")
    if claimed is None:
        return _current(session, summary)
    return _deliver(session, summary, stakeholder, claimed)


def _deliver(session: Session, summary: ValueSummary, stakeholder: Stakeholder,
             claimed: Distribution, *, note: str | None = None) -> Distribution:
    """Send the mail of a claimed sending and record the outcome (commits); `note` is
    kept on the sent row. A failure is recorded, then raised."""
    account = session.get(Account, summary.account_id)
    assert account is not None
    manager = stakeholder_mail.account_manager(session, account)
    path = Path(current_app.config["REPORTS_DIR"]) / summary.file_path
    try:
        content = path.read_bytes()
        values = {"name": stakeholder.name, "first_name": stakeholder.name.split()[0],
                  "account": account.name, "quarter": summary.quarter,
                  "sender": manager.name if manager is not None else "Your account team",
                  "sender_title": (manager.title or "") if manager is not None else ""}
        body = Template(message_template(session)).safe_substitute(values)
        message_id = mail.send(stakeholder_mail.compose(
            session, account=account, stakeholder=stakeholder,
            subject=f"Your value summary {summary.quarter} — {account.name}",
            text=body, manager=manager,
            attachments=[mail.Attachment(
                filename=stakeholder_mail.attachment_name(account, stakeholder,
                                                          summary.quarter),
                content=content)],
        ))
    except Exception as exc:
        claimed.status, claimed.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        session.add(claimed)
        session.commit()
        raise
    claimed.status, claimed.sent_at, claimed.message_id = "sent", utcnow(), message_id[:255]
    claimed.error = note
    session.add(claimed)
    events.emit(session, "summary.sent", account_id=account.id, entity="value_summary",
                entity_id=summary.id,
                data={"quarter": summary.quarter, "stakeholder_id": stakeholder.id,
                      "stakeholder": stakeholder.name, "distribution_id": claimed.id,
                      "message_id": claimed.message_id})
    session.commit()
    return claimed


def _current(session: Session, summary: ValueSummary) -> Distribution:
    return session.exec(select(Distribution).where(
        Distribution.summary_id == summary.id, Distribution.channel == CHANNEL)).one()


# -- delivery unknown ---------------------------------------------------------------------


def unknown_after() -> timedelta:
    """How long a sending may stay `pending` before it counts as delivery unknown (the
    app's setting; the default outside an app context, as in a bare query)."""
    seconds = current_app.config.get("DELIVERY_UNKNOWN_AFTER", DEFAULT_UNKNOWN_AFTER) \
        if has_app_context() else DEFAULT_UNKNOWN_AFTER
    return timedelta(seconds=float(seconds))


def unknown_condition(now: datetime | None = None) -> Any:
    """SQL: the Distribution's delivery is unknown (marked so, or pending too long)."""
    cutoff = (now or utcnow()) - unknown_after()
    return sa.or_(Distribution.status == DELIVERY_UNKNOWN,
                  sa.and_(Distribution.status == "pending", Distribution.created_at < cutoff))


def is_delivery_unknown(status: str | None, claimed_at: datetime | None,
                        now: datetime | None = None) -> bool:
    """The same rule as `unknown_condition`, for a row already loaded."""
    if status == DELIVERY_UNKNOWN:
        return True
    return status == "pending" and claimed_at is not None and \
        claimed_at < (now or utcnow()) - unknown_after()


def in_flight(row: Distribution) -> bool:
    """The sending is being delivered now: pending, and not for so long that its delivery
    counts as unknown."""
    return row.status == "pending" and not is_delivery_unknown(row.status, row.created_at)


def mark_unknown(session: Session, job: Job, items: Sequence[tuple[int, int | None]], *,
                 quarter: str, variant: str) -> int:
    """Mark the pending sendings of a batch's lost items as delivery unknown, with an
    audit event; the caller commits. Returns how many were marked."""
    ids = [s for _a, s in items if s is not None]
    if not ids or variant != "stakeholder":
        return 0
    rows = session.exec(
        select(Distribution).join(ValueSummary, ValueSummary.id == Distribution.summary_id)
        .where(ValueSummary.stakeholder_id.in_(ids), ValueSummary.quarter == quarter,
               ValueSummary.variant == variant, Distribution.status == "pending")).all()
    for row in rows:
        row.status = DELIVERY_UNKNOWN
        row.error = ("The worker sending it stopped before recording the result: the mail "
                     "may or may not have left. Check with the recipient, then mark it "
                     "delivered or resend it.")
        session.add(row)
        audit.record(session, "delivery_unknown", "distribution", row.id,
                     f"Delivery unknown: sending {row.id} of job {job.id} ({row.recipient})",
                     details={"job": job.id, "summary": row.summary_id})
    return len(rows)


def unknown_sendings(session: Session, where: Any) -> list[tuple[Distribution, ValueSummary,
                                                                  str | None, str]]:
    """(sending, summary, stakeholder name, account slug) of every delivery-unknown
    sending matching `where` (SQL over ValueSummary/Account), one query."""
    return list(session.exec(
        select(Distribution, ValueSummary, Stakeholder.name, Account.slug)
        .join(ValueSummary, ValueSummary.id == Distribution.summary_id)
        .join(Account, Account.id == ValueSummary.account_id)
        .join(Stakeholder, Stakeholder.id == ValueSummary.stakeholder_id, isouter=True)
        .where(where, unknown_condition())
        .order_by(Account.name, Stakeholder.name)).all())


class NotUnknown(Exception):
    """The sending's delivery is no longer unknown (someone resolved it meanwhile)."""


def _take_unknown(session: Session, row: Distribution, **values: Any) -> None:
    """Move a delivery-unknown sending on, only if it still is one (two people clicking
    at once: one wins, the other gets NotUnknown)."""
    result = session.execute(
        sa.update(Distribution).where(Distribution.id == row.id, unknown_condition())
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        session.rollback()
        raise NotUnknown(f"sending {row.id} is not of unknown delivery any more")
    session.refresh(row)


def mark_delivered(session: Session, row: Distribution, *, user: User | None) -> Distribution:
    """A person checked that the mail arrived: the sending counts as sent (at the time it
    was claimed), with who said so. Records the audit event; the caller commits."""
    who = user.name if user is not None else "the command line"
    _take_unknown(session, row, status="sent", sent_at=row.created_at,
                  error=f"Marked delivered by {who}")
    audit.record(session, "mark_delivered", "distribution", row.id,
                 f"Sending {row.id} ({row.recipient}) marked delivered by {who}",
                 details={"summary": row.summary_id}, user=user)
    return row


def resend(session: Session, row: Distribution, *, user: User | None) -> Distribution:
    """Send a delivery-unknown summary again, on a person's say-so, recorded as a resend
    ("resent by X" on the sending and in the audit trail). Commits the claim (before the
    mail goes out) and the result; someone no longer to be contacted is skipped. A
    failed sending raises, recorded as failed (retry it like any failed one)."""
    who = user.name if user is not None else "the command line"
    summary = session.get(ValueSummary, row.summary_id)
    assert summary is not None
    stakeholder = session.get(Stakeholder, summary.stakeholder_id) \
        if summary.stakeholder_id else None
    reason = skip_reason(stakeholder, session.get(Account, summary.account_id))
    if reason is not None:
        _take_unknown(session, row, status="skipped", error=reason)
        audit.record(session, "resend", "distribution", row.id,
                     f"Sending {row.id} not resent by {who}: {reason}",
                     details={"summary": row.summary_id, "skipped": reason}, user=user)
        session.commit()
        return row
    assert stakeholder is not None
    _take_unknown(session, row, status="pending", recipient=stakeholder.email,
                  created_at=utcnow(), error=None)
    audit.record(session, "resend", "distribution", row.id,
                 f"Summary {summary.id} resent to {stakeholder.email} by {who}",
                 details={"summary": summary.id}, user=user)
    session.commit()
    return _deliver(session, summary, stakeholder, row,
                    note=f"Resent by {who} (the first delivery was unknown)")
