"""Coverage figures and lists per account and for the portfolio (PRODUCT.md definition)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from flask import Flask
from sqlmodel import Session

from valuetracker.access import account_scope
from valuetracker.demo.summaries import seed
from valuetracker.models import Distribution, ValueSummary
from valuetracker.quarters import parse_quarter
from valuetracker.summaries.branding import get_branding
from valuetracker.summaries.coverage import (
    account_coverage,
    coverage_by_account,
    coverage_rows,
    portfolio_totals,
)

from .factories import make_stakeholder

Q3 = parse_quarter("2026-Q3")
OLD = datetime(2026, 1, 1, tzinfo=UTC)


def _summary(session: Session, stakeholder: object, quarter: str = "2026-Q3",
             status: str | None = "sent") -> ValueSummary:
    row = ValueSummary(account_id=stakeholder.account_id,  # type: ignore[attr-defined]
                       stakeholder_id=stakeholder.id, quarter=quarter,  # type: ignore
                       file_path="x.pdf", sha256="0" * 64)
    session.add(row)
    session.flush()
    if status:
        session.add(Distribution(summary_id=row.id, status=status,
                                 sent_at=OLD if status == "sent" else None))
        session.flush()
    return row


def test_coverage_counts_and_states(app: Flask, session: Session, cast: object) -> None:
    c = cast  # type: ignore[assignment]
    acme = c.account1
    sent = c.stakeholder1
    _summary(session, sent)
    generated = make_stakeholder(session, acme, "Gail Generated", is_key=True)
    _summary(session, generated, status=None)
    pending = make_stakeholder(session, acme, "Pat Pending", is_key=True)
    _summary(session, pending, status="pending")
    last_quarter = make_stakeholder(session, acme, "Quinn Q2", is_key=True)
    _summary(session, last_quarter, quarter="2026-Q2")
    make_stakeholder(session, acme, "No Email", is_key=True, email=None)
    make_stakeholder(session, acme, "Otto Optout", is_key=True, opted_out_at=OLD)
    left = make_stakeholder(session, acme, "Lee Left", is_key=True, left_company_at=OLD)
    _summary(session, left)  # sent before leaving: no longer counts
    make_stakeholder(session, acme, "Erin Erased", is_key=True, erased_at=OLD)
    make_stakeholder(session, acme, "Not Key")
    session.commit()

    figure = account_coverage(session, acme, Q3)
    # Eligible: Carol, Gail, Pat, Quinn, No Email = 5; sent this quarter: Carol.
    assert (figure.eligible, figure.sent, figure.rate) == (5, 1, Decimal("0.2"))
    states = {r.name: (r.state, r.reason) for r in coverage_rows(session, Q3,
                                                                  account_scope(c.admin))}
    assert states == {
        "Carol Buyer": ("received", "sent"),
        "Gail Generated": ("missing", "generated, not sent"),
        "Pat Pending": ("missing", "generated, not sent"),
        "Quinn Q2": ("missing", "not generated"),
        "No Email": ("missing", "no email address"),
        "Otto Optout": ("skipped", "opted out"),
        "Lee Left": ("skipped", "left the company"),
        "Dan Champion": ("missing", "not generated"),
    }
    rows = coverage_by_account(session, Q3, account_scope(c.admin))
    assert [(r.name, r.eligible, r.sent) for r in rows] == [("Acme Corp", 5, 1),
                                                            ("Globex", 1, 0)]
    total = portfolio_totals(rows)
    assert (total.eligible, total.sent) == (6, 1)
    # An account manager's portfolio holds only their accounts.
    assert [r.name for r in coverage_by_account(session, Q3, account_scope(c.am2))] == [
        "Globex"]


def test_demo_sets_default_branding_once(app: Flask, session: Session) -> None:
    made: dict[str, object] = {}
    seed(session, made)
    session.commit()
    assert get_branding(session).company_name == "Northwind Services"
    seed(session, made)  # does not overwrite
    session.commit()
    assert made["branding"] is True
