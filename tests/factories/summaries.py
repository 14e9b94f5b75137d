"""Value summaries and their sendings (the caller commits)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from valuetracker.models import Distribution, Stakeholder, ValueSummary


def make_summary(session: Session, stakeholder: Stakeholder, quarter: str = "2026-Q3",
                 status: str | None = "sent", channel: str = "email") -> ValueSummary:
    """A summary generated for `stakeholder` on 2026-10-02 and, unless `status` is None, one
    sending of it in that status (a sent one left on 2026-10-03)."""
    summary = ValueSummary(account_id=stakeholder.account_id, stakeholder_id=stakeholder.id,
                           quarter=quarter, file_path=f"/tmp/{stakeholder.id}.pdf",
                           sha256="0" * 64,
                           generated_at=datetime(2026, 10, 2, 9, 0, tzinfo=UTC))
    session.add(summary)
    session.flush()
    if status is not None:
        session.add(Distribution(
            summary_id=summary.id, channel=channel, recipient=stakeholder.email, status=status,
            sent_at=datetime(2026, 10, 3, 10, 30, tzinfo=UTC) if status == "sent" else None))
        session.flush()
    return summary
