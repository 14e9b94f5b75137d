"""Build one summary PDF, store it, and plan a batch (who gets one, who is not in the send).

Nothing here knows about HTTP or the job queue; `runs.py` runs `generate_one` per item.
Files are written to a temporary file and renamed into place, so a reader (or a
crash) never sees half a PDF. The ValueSummary row is upserted on its unique key
(account, stakeholder, quarter, variant), so re-running an item never duplicates.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from sqlmodel import Session, select

from .. import charts
from ..models import Account, Distribution, Stakeholder, ValueSummary, slugify, utcnow
from ..models.accounts import contact_block
from ..models.summaries import DELIVERY_UNKNOWN
from ..quarters import Quarter
from ..value.overview import driver_chart, driver_legend
from .branding import branding_dir, get_branding
from .coverage import account_coverage
from .data import SummaryData, summary_data
from .kpis import kpi_cards
from .render import html_to_pdf
from .scope import (
    SEND_ACCOUNT_STATUS,
    ExcludedAccount,
    excluded_accounts,
    exclusion_since,
    in_send_condition,
    send_exclusion,
)


@dataclass
class BatchItem:
    account_id: int
    stakeholder_id: int | None  # None = the internal account review


@dataclass
class Skipped:
    account_id: int
    stakeholder_id: int
    name: str
    reason: str
    account_name: str = ""
    since: date | None = None  # when they left or opted out

    def as_dict(self) -> dict[str, Any]:
        """For a job's `result` (JSON)."""
        return {"stakeholder_id": self.stakeholder_id, "name": self.name,
                "reason": self.reason, "account_name": self.account_name,
                "since": self.since.isoformat() if self.since else None}


@dataclass
class BatchPlan:
    """What a batch renders, and who of its accounts is not in the quarter's send."""

    items: list[BatchItem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)  # people of active accounts
    excluded: list[ExcludedAccount] = field(default_factory=list)  # accounts not active


def plan_batch(session: Session, account_ids: list[int], variant: str, *,
               portfolio: bool = False) -> BatchPlan:
    """Items to render for these accounts, and who is not in the send (with why).

    Stakeholder summaries go to exactly the people coverage counts (`scope.py`, one
    query): a key stakeholder of one of these accounts who is not in the send is skipped
    with the reason; an account that is not active is named with its number of key
    stakeholders. With `portfolio` (the whole portfolio's batch of the active accounts),
    every account that is not active is named. The internal review is not a send: one
    per account given.
    """
    if variant == "internal":
        return BatchPlan(items=[BatchItem(a, None) for a in account_ids])
    rows = session.exec(
        select(Stakeholder.id, Stakeholder.account_id, Stakeholder.name, Stakeholder.email,
               Stakeholder.opted_out_at, Stakeholder.left_company_at, Account.status,
               Account.name, in_send_condition())
        .join(Account, Account.id == Stakeholder.account_id)
        .where(Stakeholder.account_id.in_(account_ids), Stakeholder.is_key.is_(True),
               Stakeholder.erased_at.is_(None))
        .order_by(Stakeholder.account_id, Stakeholder.id)
    ).all()
    plan = BatchPlan()
    for sid, aid, name, email, opted_out, left, status, account_name, in_send in rows:
        reason = send_exclusion(
            account_status=status, is_key=True,
            block_reason=contact_block(erased=False, left=left is not None,
                                       opted_out=opted_out is not None,
                                       has_email=bool(email), by_email=True))
        if in_send:
            plan.items.append(BatchItem(aid, sid))
        elif status == SEND_ACCOUNT_STATUS:
            plan.skipped.append(Skipped(aid, sid, name, reason or "not in the send",
                                        account_name,
                                        exclusion_since(reason, left=left,
                                                        opted_out=opted_out)))
    scope = sa.true() if portfolio else Account.id.in_(account_ids)
    plan.excluded = excluded_accounts(session, scope)
    return plan


def summary_charts(data: SummaryData) -> dict[str, Any]:
    """The SVG charts of a summary: the account value page's chart, value per quarter
    with one segment per driver (the money table above it gives the quarter's split).

    Its legend is text in the layout, not in the SVG (see `driver_chart`), and the SVG
    is embedded as an image (see `charts.as_image`).
    """
    title = "Value delivered per quarter"
    chart = driver_chart(data.by_quarter, title=title, width=600, legend=False)
    return {"by_quarter": charts.as_image(chart, alt=title),
            "by_quarter_legend": driver_legend(data.by_quarter)}


def summary_html(session: Session, account: Account, stakeholder: Stakeholder | None,
                 quarter: Quarter) -> tuple[str, SummaryData]:
    """The PDF layout's HTML (every user string autoescaped by Jinja)."""
    data = summary_data(session, account, stakeholder, quarter)
    coverage = account_coverage(session, account, quarter) if stakeholder is None else None
    template = "reports/internal.html" if stakeholder is None else "reports/summary.html"
    html = render_template(template, data=data, branding=get_branding(session),
                           charts=summary_charts(data), coverage=coverage,
                           kpis=kpi_cards(data, coverage))
    return html, data


def build_pdf(session: Session, account: Account, stakeholder: Stakeholder | None,
              quarter: Quarter, *, fetcher: Any = None) -> bytes:
    """Render one summary to PDF bytes within the configured time limit."""
    html, _data = summary_html(session, account, stakeholder, quarter)
    return html_to_pdf(html, timeout=float(current_app.config["PDF_RENDER_TIMEOUT"]),
                       branding_dir=branding_dir(), fetcher=fetcher)


def relative_path(account: Account, stakeholder: Stakeholder | None, quarter: Quarter) -> str:
    """`<quarter>/<account-slug>/<stakeholder-slug>.pdf` under REPORTS_DIR.

    The stakeholder's id is part of the slug: two people may share a name.
    """
    name = (f"{slugify(stakeholder.name)}-{stakeholder.id}" if stakeholder is not None
            else "account-review")
    return f"{quarter.label}/{account.slug}/{name}.pdf"


def reports_dir() -> Path:
    return Path(current_app.config["REPORTS_DIR"])


def write_atomically(path: Path, content: bytes) -> None:
    """Write to a temporary file in the same folder, then rename over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Leftovers of a writer killed mid-write (SIGKILL skips the cleanup below).
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def find_summary(session: Session, account_id: int, stakeholder_id: int | None,
                 quarter: Quarter, variant: str) -> ValueSummary | None:
    stakeholder_match = (ValueSummary.stakeholder_id.is_(None) if stakeholder_id is None
                         else ValueSummary.stakeholder_id == stakeholder_id)
    return session.exec(
        select(ValueSummary).where(ValueSummary.account_id == account_id, stakeholder_match,
                                   ValueSummary.quarter == quarter.label,
                                   ValueSummary.variant == variant)
    ).first()


def was_sent(session: Session, summary_id: int) -> bool:
    """Whether the PDF may already be with the stakeholder (sent, being sent, or of
    unknown delivery): then it is kept as it is, never rendered anew."""
    return session.exec(
        select(Distribution.id).where(Distribution.summary_id == summary_id,
                                      Distribution.status.in_(("sent", "pending",
                                                               DELIVERY_UNKNOWN)))
    ).first() is not None


def generate_one(session: Session, *, account_id: int, stakeholder_id: int | None,
                 quarter: Quarter, variant: str, user_id: int | None = None,
                 regenerate: bool = True) -> ValueSummary:
    """Render and store one summary; upsert its row (the caller commits).

    A summary that has already been sent is kept as it is: the stored file stays the
    one the stakeholder received. Without `regenerate`, an existing file is reused.
    """
    account = session.get(Account, account_id)
    stakeholder = session.get(Stakeholder, stakeholder_id) if stakeholder_id else None
    if account is None or (stakeholder_id and stakeholder is None):
        raise LookupError("account or stakeholder no longer exists")
    existing = find_summary(session, account_id, stakeholder_id, quarter, variant)
    if existing is not None:
        on_disk = (reports_dir() / existing.file_path).is_file()
        if on_disk and (not regenerate or was_sent(session, existing.id)):
            return existing
    content = build_pdf(session, account, stakeholder, quarter)
    rel = relative_path(account, stakeholder, quarter)
    write_atomically(reports_dir() / rel, content)
    digest = hashlib.sha256(content).hexdigest()
    summary = existing or ValueSummary(account_id=account_id, stakeholder_id=stakeholder_id,
                                       quarter=quarter.label, variant=variant,
                                       file_path=rel, sha256=digest)
    summary.file_path, summary.sha256 = rel, digest
    summary.generated_at, summary.generated_by_id = utcnow(), user_id
    session.add(summary)
    try:
        session.flush()
    except sa.exc.IntegrityError:
        # Another worker inserted the same summary at the same moment: theirs stands
        # (same content path), ours becomes an update of it.
        session.rollback()
        summary = find_summary(session, account_id, stakeholder_id, quarter, variant)
        assert summary is not None
        summary.file_path, summary.sha256 = rel, digest
        summary.generated_at, summary.generated_by_id = utcnow(), user_id
        session.add(summary)
        session.flush()
    return summary
