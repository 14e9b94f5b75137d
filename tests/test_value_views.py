"""The account value pages: value log, commitments, recorded answers and pulses, permissions."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import select

from valuetracker import cache
from valuetracker.models import (
    AuditEvent,
    LoyaltyPulse,
    ValueCommitment,
    ValueConfirmation,
    ValueEntry,
    ValueEntryBeneficiary,
)

from .conftest import get_statements
from .factories import make_commitment, make_entry, make_pulse, ranking

ENTRY_FORM = {
    "title": "Cut month-end close by two days", "description": "Automated reconciliation",
    "driver": "productivity", "amount": "12500.50", "unit": "currency",
    "delivered_on": "2026-10-15", "evidence_status": "claimed", "source": "Finance report",
}


def test_value_log_add_edit_delete(session: Any, cast: Any, login_as: Any) -> None:
    client = login_as(cast.am1)
    slug = cast.account1.slug
    response = client.post(f"/accounts/{slug}/value/entries/new",
                           data={**ENTRY_FORM, "beneficiaries": [str(cast.stakeholder1.id)]})
    assert response.status_code == 302
    entry = session.exec(select(ValueEntry)).one()
    assert entry.amount == Decimal("12500.50") and entry.account_id == cast.account1.id
    assert session.exec(select(ValueEntryBeneficiary.stakeholder_id)).all() == [
        cast.stakeholder1.id]
    page = client.get(f"/accounts/{slug}/value/log").get_data(as_text=True)
    assert "Cut month-end close by two days" in page and "Carol Buyer" in page

    edit = client.get(f"/accounts/{slug}/value/entries/{entry.id}/edit").get_data(as_text=True)
    assert "12500.50" in edit
    response = client.post(f"/accounts/{slug}/value/entries/{entry.id}/edit",
                           data={**ENTRY_FORM, "amount": "9000"})
    assert response.status_code == 302
    session.refresh(entry)
    assert entry.amount == Decimal("9000")
    assert session.exec(select(ValueEntryBeneficiary)).all() == []
    response = client.post(f"/accounts/{slug}/value/entries/{entry.id}/delete")
    assert response.status_code == 302
    session.expire_all()
    assert session.exec(select(ValueEntry)).all() == []
    actions = session.exec(select(AuditEvent.action).where(
        AuditEvent.entity == "value_entry")).all()
    assert sorted(actions) == ["create", "delete", "update"]


@pytest.mark.parametrize("bad, message", [
    ({"amount": "lots"}, "Enter a number"),
    ({"amount": "-5"}, "Enter an amount of 0 or more"),
    ({"delivered_on": "31/31/2026"}, "Not a valid date value"),
    ({"title": ""}, "This field is required"),
    ({"driver": "happiness"}, "Not a valid choice"),
])
def test_value_entry_bad_input_rerenders(cast: Any, login_as: Any, bad: dict,
                                         message: str) -> None:
    client = login_as(cast.am1)
    response = client.post(f"/accounts/{cast.account1.slug}/value/entries/new",
                           data={**ENTRY_FORM, **bad})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_value_log_filters_and_paginates(app: Any, session: Any, cast: Any,
                                         login_as: Any) -> None:
    app.config["PAGE_SIZE"] = 5
    for i in range(12):
        make_entry(session, cast.account1, 100 + i, title=f"Entry {i:02d}",
                   delivered_on=date(2026, 10, 1) + timedelta(days=i))
    make_entry(session, cast.account1, 5, title="Old one", driver="strategic",
                delivered_on=date(2025, 2, 1), evidence_status="disputed")
    session.commit()
    client = login_as(cast.am1)
    base = f"/accounts/{cast.account1.slug}/value/log"
    first = client.get(base).get_data(as_text=True)
    assert "Page 1 of 3" in first and "Entry 11" in first and "Entry 06" not in first
    third = client.get(base + "?page=3").get_data(as_text=True)
    assert "Old one" in third
    only_old = client.get(base + "?quarter=2025-Q1").get_data(as_text=True)
    assert "Old one" in only_old and "Entry 01" not in only_old
    disputed = client.get(base + "?status=disputed&driver=strategic").get_data(as_text=True)
    assert "Old one" in disputed and "Entry 01" not in disputed
    bad = client.get(base + "?quarter=nonsense")
    assert bad.status_code == 200 and "is not a quarter" in bad.get_data(as_text=True)


def test_commitments_deliver_and_on_time(session: Any, cast: Any, login_as: Any) -> None:
    client = login_as(cast.am1)
    slug = cast.account1.slug
    today = date.today()
    response = client.post(f"/accounts/{slug}/value/commitments/new", data={
        "title": "Automate invoicing", "driver": "cost_reduction", "expected_amount": "5000",
        "unit": "currency", "due_on": (today - timedelta(days=3)).isoformat(),
        "status": "in_progress", "delivered_by": "0"})
    assert response.status_code == 302
    commitment = session.exec(select(ValueCommitment)).one()
    page = client.get(f"/accounts/{slug}/value").get_data(as_text=True)
    assert "Overdue" in page
    entry = make_entry(session, cast.account1, 4800, delivered_on=today - timedelta(days=5))
    session.commit()
    form = {"title": "Automate invoicing", "driver": "cost_reduction",
            "expected_amount": "5000", "unit": "currency",
            "due_on": (today - timedelta(days=3)).isoformat(), "status": "delivered"}
    missing = client.post(f"/accounts/{slug}/value/commitments/{commitment.id}/edit",
                          data={**form, "delivered_by": "0"})
    assert "Choose the value entry that delivered" in missing.get_data(as_text=True)
    response = client.post(f"/accounts/{slug}/value/commitments/{commitment.id}/edit",
                           data={**form, "delivered_by": str(entry.id)})
    assert response.status_code == 302
    session.expire_all()
    commitment = session.get(ValueCommitment, commitment.id)
    assert commitment.status == "delivered"
    assert commitment.delivered_on == entry.delivered_on
    assert session.get(ValueEntry, entry.id).commitment_id == commitment.id
    page = client.get(f"/accounts/{slug}/value").get_data(as_text=True)
    assert "on time" in page and "Overdue" not in page


def test_team_records_confirmation_and_pulse(session: Any, cast: Any, login_as: Any) -> None:
    entry = make_entry(session, cast.account1, 1000)
    session.commit()
    client = login_as(cast.am1)
    slug = cast.account1.slug
    missing = client.post(f"/accounts/{slug}/value/entries/{entry.id}/confirmation", data={
        "stakeholder_id": str(cast.stakeholder1.id), "response": "adjusted"})
    assert "Enter the amount they gave" in missing.get_data(as_text=True)
    response = client.post(f"/accounts/{slug}/value/entries/{entry.id}/confirmation", data={
        "stakeholder_id": str(cast.stakeholder1.id), "response": "adjusted",
        "adjusted_amount": "800", "comment": "More like 800, but real."})
    assert response.status_code == 302
    confirmation = session.exec(select(ValueConfirmation)).one()
    assert confirmation.method == "recorded" and confirmation.recorded_by_id == cast.am1.id
    session.refresh(entry)
    assert (entry.evidence_status, entry.amount) == ("confirmed", Decimal("800"))

    pulse = {"stakeholder_id": str(cast.stakeholder1.id), "taken_on": "2026-11-02",
             "satisfaction": "4", "repurchase_intent": "probably", "recommend": "8",
             "comment": "Good call"}
    ranked = ranking("risk_reduction", "cost_reduction")
    bad = client.post(f"/accounts/{slug}/value/pulses/new", data={
        **pulse, **{f"rank_{i}": "cost_reduction" for i in range(1, 7)}})
    assert "only one place" in bad.get_data(as_text=True)
    response = client.post(f"/accounts/{slug}/value/pulses/new", data={
        **pulse, **{f"rank_{i + 1}": d for i, d in enumerate(ranked)}})
    assert response.status_code == 302
    row = session.exec(select(LoyaltyPulse)).one()
    assert row.method == "recorded" and row.driver_ranking == ranked
    page = client.get(f"/accounts/{slug}/value").get_data(as_text=True)
    assert "Satisfied but not loyal" in page and "More like 800, but real." in page
    history = client.get(f"/accounts/{slug}/value/pulses").get_data(as_text=True)
    assert "Good call" in history and "Risk reduction" in history


# --------------------------------------------------------------------------- permissions

def _routes(cast: Any, session: Any) -> tuple[list[str], list[str]]:
    entry = make_entry(session, cast.account1, 10)
    commitment = make_commitment(session, cast.account1, due_on=date(2026, 12, 1))
    session.commit()
    base = f"/accounts/{cast.account1.slug}/value"
    reading = [base, f"{base}/log", f"{base}/pulses"]
    editing = [f"{base}/entries/new", f"{base}/entries/{entry.id}/edit",
               f"{base}/entries/{entry.id}/confirmation", f"{base}/commitments/new",
               f"{base}/commitments/{commitment.id}/edit", f"{base}/links/new",
               f"{base}/pulses/new"]
    return reading, editing


def test_other_account_manager_gets_404(session: Any, cast: Any, login_as: Any) -> None:
    reading, editing = _routes(cast, session)
    client = login_as(cast.am2)
    for url in reading + editing:
        assert client.get(url).status_code == 404, url
    for url in editing + [editing[1].replace("/edit", "/delete")]:
        assert client.post(url, data=ENTRY_FORM).status_code == 404, url
    assert session.exec(select(sa.func.count()).select_from(ValueEntry)).one() == 1


@pytest.mark.parametrize("role", ["leader", "analyst"])
def test_readers_read_but_cannot_edit(session: Any, cast: Any, login_as: Any,
                                      role: str) -> None:
    reading, editing = _routes(cast, session)
    client = login_as(getattr(cast, role))
    for url in reading:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Log value" not in response.get_data(as_text=True)
    for url in editing:
        assert client.get(url).status_code == 403, url
        assert client.post(url, data=ENTRY_FORM).status_code == 403, url
    delete = editing[1].replace("/edit", "/delete")
    assert client.post(delete).status_code == 403
    assert client.get("/portfolio").status_code == 200


def test_owner_and_admin_can_open_every_page(session: Any, cast: Any, login_as: Any) -> None:
    reading, editing = _routes(cast, session)
    for user in (cast.am1, cast.admin):
        client = login_as(user)
        for url in reading + editing:
            assert client.get(url).status_code == 200, (user.email, url)


def test_entry_of_another_account_is_404_through_this_slug(session: Any, cast: Any,
                                                            login_as: Any) -> None:
    foreign = make_entry(session, cast.account2, 10)
    session.commit()
    client = login_as(cast.admin)
    url = f"/accounts/{cast.account1.slug}/value/entries/{foreign.id}/edit"
    assert client.get(url).status_code == 404


# --------------------------------------------------------------------------- query count


def _fill(session: Any, cast: Any, n: int) -> None:
    people = [cast.stakeholder1]
    for i in range(n):
        entry = make_entry(session, cast.account1, 100 + i,
                           driver=("productivity", "strategic")[i % 2],
                           delivered_on=date.today() - timedelta(days=20 * i),
                           evidence_status=("claimed", "confirmed")[i % 2],
                           beneficiaries=tuple(people))
        make_commitment(session, cast.account1, due_on=date.today() - timedelta(days=9 * i))
        make_pulse(session, cast.stakeholder1, taken_on=date.today() - timedelta(days=30 * i),
                   ranking=ranking("strategic"))
        session.add(ValueConfirmation(entry_id=entry.id,
                                      stakeholder_id=cast.stakeholder1.id,
                                      response="confirmed", comment=f"Quote {i}"))
    session.commit()


def test_page_query_count_does_not_grow_with_entries(app: Any, session: Any, cast: Any,
                                                     login_as: Any) -> None:
    client = login_as(cast.am1)
    slug = cast.account1.slug
    figures = app.extensions[cache.EXTENSION]

    def cold_counts(urls: Any) -> dict[str, int]:
        # Each page computed afresh: figures keyed by tables a value entry does not write
        # (the portfolio's tiers) would otherwise be kept from the first round.
        counts = {}
        for url in urls:
            figures.clear()
            counts[url] = len(get_statements(app, client, url))
        return counts

    _fill(session, cast, 3)
    small = cold_counts((f"/accounts/{slug}/value", f"/accounts/{slug}/value/log",
                         "/portfolio"))
    _fill(session, cast, 30)
    large = cold_counts(small)
    assert large == small
    assert small[f"/accounts/{slug}/value"] < 25
