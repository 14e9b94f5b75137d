"""Value the customer describes ("Did we deliver value we did not list?"): a `described`
entry in their words, counted nowhere until the account team reviews it on the value page
(add it as confirmed value with a driver and an amount, or dismiss it).

The customer's answer and the team's review are submitted as the pages render them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from sqlmodel import Session, select

from valuetracker import value as domain
from valuetracker.exports import build_quarter_export
from valuetracker.links import create_link
from valuetracker.models import AuditEvent, ValueConfirmation, ValueEntry
from valuetracker.quarters import current_quarter

from .factories import make_entry
from .rendered import page_form, page_html, posting_to

WORDS = "Your team trained our new hires for free, twice."


@pytest.fixture
def described(app: Flask, session: Session, cast: Any, client: Any) -> dict[str, Any]:
    """Carol answers a confirmation link about one $1,000 entry of today with only the
    "value we did not list" box filled in, as the page renders it."""
    listed = make_entry(session, cast.account1, "1000", title="Faster invoicing",
                        beneficiaries=(cast.stakeholder1,), delivered_on=date.today())
    with app.app_context():
        _link, token = create_link(session, "confirm_value", stakeholder_id=cast.stakeholder1.id,
                                   account_id=cast.account1.id,
                                   payload={"entry_ids": [listed.id]})
    session.commit()
    path = f"/l/confirm/{token}"
    form = page_form(client, path, having="other_value")
    response = client.post(path, data=form.data(other_value=WORDS))
    assert response.status_code == 302 and response.headers["Location"].endswith("/l/thanks")
    session.expire_all()
    entry = session.exec(select(ValueEntry).where(ValueEntry.source == "customer")).one()
    return {"listed": listed, "entry": entry, "path": path}


def _value_page(cast: Any) -> str:
    return f"/accounts/{cast.account1.slug}/value"


def test_the_answer_is_a_described_entry_in_their_words(session: Session, cast: Any,
                                                        described: dict) -> None:
    entry = described["entry"]
    assert (entry.evidence_status, entry.amount, entry.driver) == ("described", None, None)
    assert entry.description == WORDS and entry.title == WORDS
    answer = session.exec(select(ValueConfirmation).where(
        ValueConfirmation.entry_id == entry.id)).one()
    assert (answer.response, answer.comment, answer.stakeholder_id, answer.method) == (
        "described", WORDS, cast.stakeholder1.id, "link")


def test_a_described_entry_counts_in_no_figure_list_link_or_export(
        session: Session, cast: Any, described: dict, tmp_path: Path) -> None:
    ids = [cast.account1.id]
    quarter = current_quarter(1)
    summary = domain.value_summary(session, quarter=quarter, account_ids=ids)
    assert summary.periods.quarter_total == Decimal("1000")
    assert summary.periods.total_total == Decimal("1000")
    assert summary.confirmed.total == Decimal("1000")
    assert None not in summary.periods.total  # no driverless bucket
    assert domain.value_delivered(session, account_ids=ids) == Decimal("1000")
    assert domain.confirmed_share(session, account_ids=ids).total == Decimal("1000")
    migration = domain.value_migration(session, quarters=quarter.last(1), account_ids=ids)
    assert [seg.totals[quarter.label] for seg in migration] == [Decimal("1000")]
    page = domain.list_entries(session, account_id=cast.account1.id)
    assert [e.title for e in page.items] == ["Faster invoicing"]
    assert domain.entry_choices(session, account_id=cast.account1.id)[0][2] == "Faster invoicing"
    assert domain.entries_to_confirm(session, stakeholder=cast.stakeholder1,
                                     scope="recent") == [described["listed"].id]
    # The quarterly export: neither in the figures nor among the entries.
    path = tmp_path / "review.xlsx"
    build_quarter_export(session, quarter=quarter, path=path)
    book = openpyxl.load_workbook(path)
    titles = [row[3] for row in book["Value delivered"].iter_rows(min_row=2, values_only=True)]
    assert titles == ["Faster invoicing"]
    header, *rows = list(book["Summary"].iter_rows(values_only=True))
    acme = dict(zip(header, next(r for r in rows if r[0] == "Acme Corp"), strict=True))
    assert acme[f"Value delivered {quarter.label} (USD)"] == pytest.approx(1000)


def test_the_value_page_asks_for_a_review_and_the_review_makes_it_confirmed_value(
        session: Session, cast: Any, described: dict, login_as: Any) -> None:
    am = login_as(cast.am1)
    entry = described["entry"]
    text = am.get(_value_page(cast)).get_data(as_text=True)
    assert "Described by the customer — review" in text and WORDS in text
    assert "described value we had not listed" in text  # under what the customer said
    assert WORDS not in am.get(f"{_value_page(cast)}/log").get_data(as_text=True)

    prefix = f"described-{entry.id}"
    form = page_form(am, _value_page(cast), having=f"{prefix}-amount")
    assert form.action.endswith(f"/described/{entry.id}/review")
    assert form.value(f"{prefix}-title") == WORDS  # their words, to shorten
    response = am.post(form.action, data=form.data(**{
        f"{prefix}-title": "Trained their new hires", f"{prefix}-driver": "productivity",
        f"{prefix}-amount": "2500"}))
    assert response.status_code == 302
    session.expire_all()
    entry = session.get(ValueEntry, entry.id)
    assert (entry.evidence_status, entry.driver, entry.amount, entry.title) == (
        "confirmed", "productivity", Decimal("2500"), "Trained their new hires")
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "review")).one()
    assert (event.entity, event.entity_id, event.user_id) == (
        "value_entry", str(entry.id), cast.am1.id)
    assert event.details["evidence_status"] == ["described", "confirmed"]
    assert event.details["amount"] == [None, "2500"]
    # Now it counts like any confirmed entry, and the review card is gone.
    summary = domain.value_summary(session, quarter=current_quarter(1),
                                   account_ids=[cast.account1.id])
    assert summary.periods.quarter_total == Decimal("3500")
    assert summary.confirmed_quarter.confirmed == Decimal("2500")
    text = am.get(_value_page(cast)).get_data(as_text=True)
    assert "Described by the customer — review" not in text
    assert "Trained their new hires" in am.get(f"{_value_page(cast)}/log").get_data(as_text=True)


def test_the_review_form_without_a_driver_or_an_amount_comes_back_with_field_errors(
        session: Session, cast: Any, described: dict, login_as: Any) -> None:
    am = login_as(cast.am1)
    entry = described["entry"]
    prefix = f"described-{entry.id}"
    form = page_form(am, _value_page(cast), having=f"{prefix}-amount")
    response = am.post(form.action, data=form.data(**{f"{prefix}-amount": "ten thousand"}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose the value driver." in page
    assert f'class="form-control is-invalid" id="{prefix}-amount"' in page
    assert WORDS in page  # the page as it was, with the customer's words
    session.expire_all()
    assert session.get(ValueEntry, entry.id).evidence_status == "described"
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "review")).all() == []


def test_dismiss_removes_it_and_the_trail_keeps_their_words(
        session: Session, cast: Any, described: dict, login_as: Any) -> None:
    am = login_as(cast.am1)
    entry_id = described["entry"].id
    form = posting_to(page_html(am, _value_page(cast)),
                      f"{_value_page(cast)}/described/{entry_id}/dismiss")
    assert am.post(form.action, data=form.data()).status_code == 302
    session.expire_all()
    assert session.get(ValueEntry, entry_id) is None
    assert session.exec(select(ValueConfirmation).where(
        ValueConfirmation.entry_id == entry_id)).all() == []
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "review")).one()
    assert event.details == {"decision": "dismissed", "words": WORDS}
    assert "Described by the customer" not in am.get(_value_page(cast)).get_data(as_text=True)


def test_a_second_review_of_the_same_entry_is_not_taken(
        session: Session, cast: Any, described: dict, login_as: Any) -> None:
    am = login_as(cast.am1)
    entry = described["entry"]
    prefix = f"described-{entry.id}"
    form = page_form(am, _value_page(cast), having=f"{prefix}-amount")
    data = form.data(**{f"{prefix}-driver": "strategic", f"{prefix}-amount": "100"})
    assert am.post(form.action, data=data).status_code == 302
    again = am.post(form.action, data=form.data(**{f"{prefix}-driver": "revenue_growth",
                                                   f"{prefix}-amount": "999"}),
                    follow_redirects=True)
    assert again.status_code == 200 and "already reviewed" in again.get_data(as_text=True)
    session.expire_all()
    assert session.get(ValueEntry, entry.id).amount == Decimal("100")
    # Nor may an answer recorded by the team take a described entry past its review.
    other = domain.describe_value(session, cast.account1, "More", stakeholder_id=None)
    with pytest.raises(ValueError, match="reviewed, not answered"):
        domain.record_confirmation(session, other, stakeholder_id=None, response="confirmed",
                                   comment=None)
    session.rollback()


def test_a_dismiss_racing_a_colleagues_review_is_refused_like_a_second_review(
        app: Flask, session: Session, cast: Any, described: dict, login_as: Any) -> None:
    """A colleague's review lands after the dismiss read the entry and before it claims
    it (here on the request's own connection, as SQLite takes one writer at a time): the
    dismiss is refused with the message a second review gets, and deletes nothing."""
    am = login_as(cast.am1)
    entry_id = described["entry"].id
    form = posting_to(page_html(am, _value_page(cast)),
                      f"{_value_page(cast)}/described/{entry_id}/dismiss")
    engine = app.extensions["valuetracker.engine"]
    reviewed: list[str] = []

    def colleague_reviews_first(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("UPDATE value_entry SET version") and not reviewed:
            reviewed.append(statement)
            conn.execute(sa.update(ValueEntry).where(ValueEntry.id == entry_id).values(
                version=ValueEntry.version + 1, evidence_status="confirmed"))

    sa.event.listen(engine, "before_cursor_execute", colleague_reviews_first)
    try:
        response = am.post(form.action, data=form.data(), follow_redirects=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", colleague_reviews_first)
    assert reviewed and response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Someone reviewed or changed this value" in text and "Dismissed" not in text
    session.expire_all()
    assert session.get(ValueEntry, entry_id) is not None
    assert session.exec(select(ValueConfirmation).where(
        ValueConfirmation.entry_id == entry_id)).all() != []
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "review")).all() == []


def test_the_edit_and_answer_forms_of_a_described_entry_send_to_its_review(
        session: Session, cast: Any, described: dict, login_as: Any) -> None:
    am = login_as(cast.am1)
    entry_id = described["entry"].id
    for form in ("edit", "confirmation"):
        response = am.get(f"{_value_page(cast)}/entries/{entry_id}/{form}")
        assert response.status_code == 302, form
        assert response.location == f"{_value_page(cast)}#described"
        page = am.get(response.location).get_data(as_text=True)
        assert "review it on the value page first" in page and WORDS in page


def test_readers_see_the_customers_words_but_no_review_form(
        session: Session, cast: Any, described: dict, login_as: Any) -> None:
    leader = login_as(cast.leader)
    entry_id = described["entry"].id
    page = leader.get(_value_page(cast)).get_data(as_text=True)
    assert WORDS in page and f"/described/{entry_id}/review" not in page
    assert leader.post(f"{_value_page(cast)}/described/{entry_id}/review",
                       data={}).status_code == 403
    assert login_as(cast.am2).post(f"{_value_page(cast)}/described/{entry_id}/dismiss",
                                   data={}).status_code == 404
