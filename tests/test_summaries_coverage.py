"""Coverage figures and lists per account and for the portfolio (docs/definitions.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from flask import Flask
from sqlmodel import Session, select

from valuetracker.access import account_scope
from valuetracker.demo.summaries import seed
from valuetracker.models import Account, Distribution, Stakeholder, ValueSummary
from valuetracker.pagination import Page
from valuetracker.quarters import parse_quarter
from valuetracker.summaries.branding import get_branding
from valuetracker.summaries.coverage import (
    COVERAGE_STATES,
    account_coverage,
    coverage_by_account,
    coverage_by_account_page,
    coverage_rows,
    coverage_rows_page,
    portfolio_coverage,
)

from .factories import make_account, make_stakeholder

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
    # In the send: Carol, Gail, Pat, Quinn = 4; sent this quarter: Carol.
    assert (figure.eligible, figure.sent, figure.rate) == (4, 1, Decimal("0.25"))
    states = {r.name: (r.state, r.reason) for r in coverage_rows(session, Q3,
                                                                  account_scope(c.admin))}
    assert states == {
        "Carol Buyer": ("received", "sent"),
        "Gail Generated": ("missing", "generated, not sent"),
        "Pat Pending": ("missing", "generated, not sent"),
        "Quinn Q2": ("missing", "not generated"),
        "No Email": ("skipped", "no email address"),
        "Otto Optout": ("skipped", "opted out"),
        "Lee Left": ("skipped", "left the company"),
        "Dan Champion": ("missing", "not generated"),
    }
    rows = coverage_by_account(session, Q3, account_scope(c.admin))
    assert [(r.name, r.eligible, r.sent) for r in rows] == [("Acme Corp", 4, 1),
                                                            ("Globex", 1, 0)]
    total = portfolio_coverage(session, Q3, account_scope(c.admin))
    assert (total.eligible, total.sent) == (5, 1)
    # An account manager's portfolio holds only their accounts.
    assert [r.name for r in coverage_by_account(session, Q3, account_scope(c.am2))] == [
        "Globex"]


def _portfolio(session: Session, cast: object) -> None:
    """30 more accounts (a third owned by am1, one where am1 is a member) whose key
    stakeholders are in every state; some accounts are fully covered."""
    c = cast  # type: ignore[assignment]
    for i in range(30):
        account = make_account(session, f"Account {i:02}",
                               owner=c.am1 if i % 3 == 0 else c.am2,
                               members=(c.am1,) if i == 1 else ())
        for j in range(i % 4 + 1):
            person = make_stakeholder(session, account, f"Person {i:02}-{j}", is_key=True,
                                      email=None if (i, j) == (5, 2) else "p@example.com")
            if (i + j) % 2 == 0:
                _summary(session, person)
            elif j == 1:
                _summary(session, person, status="pending")
        if i % 5 == 0:
            make_stakeholder(session, account, f"Optout {i:02}", is_key=True, opted_out_at=OLD)
        if i % 7 == 0:
            _summary(session, make_stakeholder(session, account, f"Left {i:02}", is_key=True,
                                               left_company_at=OLD))
        if i % 6 == 0:
            make_stakeholder(session, account, f"Erased {i:02}", is_key=True, erased_at=OLD)
        make_stakeholder(session, account, f"Other {i:02}")  # not key
    session.commit()


def _every_page(fetch: object) -> list[object]:
    """The items of every page that `fetch(number=...)` returns, in order."""
    first: Page = fetch(number=1)  # type: ignore[operator]
    items = list(first.items)
    for number in range(2, first.pages + 1):
        items += fetch(number=number).items  # type: ignore[operator]
    return items


def test_portfolio_figure_matches_an_independent_count(app: Flask, session: Session,
                                                       cast: object) -> None:
    c = cast  # type: ignore[assignment]
    _portfolio(session, c)
    sent_to = {summary.stakeholder_id for summary, distribution in session.exec(
        select(ValueSummary, Distribution).join(Distribution)).all()
        if summary.quarter == "2026-Q3" and summary.variant == "stakeholder"
        and distribution.status == "sent"}
    for user in (c.admin, c.am1):
        account_ids = set(session.exec(select(Account.id).where(account_scope(user))).all())
        eligible = [s for s in session.exec(select(Stakeholder)).all()
                    if s.account_id in account_ids and s.is_key and s.erased_at is None
                    and s.left_company_at is None and s.opted_out_at is None and s.email]
        figure = portfolio_coverage(session, Q3, account_scope(user))
        assert (figure.eligible, figure.sent) == (
            len(eligible), sum(s.id in sent_to for s in eligible))
        assert figure.rate == Decimal(figure.sent) / Decimal(figure.eligible)
        # The same as summing the accounts' figures.
        accounts = coverage_by_account(session, Q3, account_scope(user))
        assert (figure.eligible, figure.sent) == (sum(a.eligible for a in accounts),
                                                  sum(a.sent for a in accounts))
        assert figure.accounts == len(accounts)
        assert figure.accounts_below_full == sum(a.sent < a.eligible for a in accounts)
    assert portfolio_coverage(session, Q3, Account.id == -1).rate is None


def test_pages_are_slices_of_the_full_lists(app: Flask, session: Session,
                                            cast: object) -> None:
    c = cast  # type: ignore[assignment]
    _portfolio(session, c)
    for user in (c.admin, c.am1):
        scope = account_scope(user)
        totals = portfolio_coverage(session, Q3, scope)
        accounts = coverage_by_account(session, Q3, scope)
        for below in (False, True):
            paged = _every_page(partial(coverage_by_account_page, session, Q3, scope, totals,
                                        size=7, below_full=below))
            assert paged == [a for a in accounts if not below or a.sent < a.eligible]
        rows = coverage_rows(session, Q3, scope)
        assert {r.state for r in rows} == set(COVERAGE_STATES)
        for state in ("", *COVERAGE_STATES):
            expected = [r for r in rows if not state or r.state == state]
            page = coverage_rows_page(session, Q3, scope, totals, number=1, size=4,
                                      state=state)
            assert page.total == totals.count_in(state) == len(expected)
            assert _every_page(partial(coverage_rows_page, session, Q3, scope, totals,
                                       size=4, state=state)) == expected
    # An account manager's pages hold only their accounts (owned or member of).
    am1_accounts = {"Acme Corp", "Account 01"} | {f"Account {i:02}" for i in range(0, 30, 3)}
    scope = account_scope(c.am1)
    totals = portfolio_coverage(session, Q3, scope)
    rows = _every_page(partial(coverage_rows_page, session, Q3, scope, totals, size=50))
    assert {r.account_name for r in rows} == am1_accounts


def test_demo_sets_default_branding_once(app: Flask, session: Session) -> None:
    made: dict[str, object] = {}
    seed(session, made)
    session.commit()
    assert get_branding(session).company_name == "Northwind Services"
    seed(session, made)  # does not overwrite
    session.commit()
    assert made["branding"] is True


def test_the_coverage_page_shows_a_sending_made_after_it_was_cached(
        app: Flask, session: Session, cast: object, login_as: Any) -> None:
    """The portfolio figure is cached per data version: a new sending shows at once."""
    account = make_account(session, "Cached Co")
    first = make_stakeholder(session, account, "First Key", is_key=True,
                             email="first@example.com")
    make_stakeholder(session, account, "Second Key", is_key=True, email="second@example.com")
    session.commit()
    client = login_as(cast.admin)  # type: ignore[attr-defined]

    def figure() -> str:
        html = client.get("/summaries/coverage?quarter=2026-Q3").get_data(as_text=True)
        return html.split("data-coverage-total>", 1)[1].split("</div>", 1)[0]

    before = figure()
    assert figure() == before  # unchanged data, same figure (served from the cache)
    _summary(session, first)
    session.commit()
    assert figure() != before
