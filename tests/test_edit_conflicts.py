"""Optimistic locking on every editable object: two people open the same edit form, both
save; the first save wins, the second gets a 409 with the saved and the typed values
side by side, and nothing of either is lost.

The forms are submitted the way the pages render them: the test reads the form's fields
(the hidden version and CSRF token included) from the HTML and posts them back with
only the changed field replaced, never a hand-built dictionary.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from html import unescape
from typing import Any

from sqlmodel import select

from valuetracker.models import GuideQuestion, ProgramRule, ValueCommitment, ValueEntry
from valuetracker.summaries.branding import get_branding

from .factories import (
    make_commitment,
    make_deal,
    make_entry,
    make_factor,
    make_guide,
    make_interview,
    make_user,
)
from .rendered import RenderedForm, page_form, rendered_form, rendered_forms

# --------------------------------------------------------------------------- the check


def _cells(html: str) -> list[list[str]]:
    """The rows of the edit-conflict table: [field, saved now, your input]."""
    block = html.split('id="edit-conflict"', 1)[1].split("</table>", 1)[0]
    rows = []
    for row in re.findall(r"<tr><td>(.*?)</td></tr>", block, re.S):
        rows.append([unescape(re.sub(r"\s+", " ", c).strip()) for c in row.split("</td><td>")])
    return rows


def save_twice(client: Any, url: str, first: dict[str, str], second: dict[str, str], *,
               noun: str, saved_label: str, saved: str, mine: str, other: Any = None,
               state: Callable[[], Any], after_first: Any) -> RenderedForm:
    """Open the edit form once; save `first` from it, then `second` from the same loaded
    form (as a second person would, with `other` as their client). The second gets a 409
    showing the saved value and theirs under `saved_label`; `state()` (read from the
    database) is still `after_first`, so the first save is kept; the form keeps the
    second's input, and saving that form again is a deliberate choice that goes
    through. Returns the form of the 409 page."""
    loaded = page_form(client, url)
    assert loaded.value("version")
    response = client.post(loaded.action, data=loaded.data(**first))
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    other = other or client
    response = other.post(loaded.action, data=loaded.data(**second))
    page = response.get_data(as_text=True)
    assert response.status_code == 409, page[-3000:]
    assert f"changed {noun} since you opened it" in page
    assert "not saved" in page
    assert [saved_label, saved, mine] in _cells(page), _cells(page)
    assert state() == after_first
    again = rendered_form(page)
    assert int(again.value("version")) == int(loaded.value("version")) + 1
    for name, value in second.items():  # the loser's input is still in the form
        assert again.value(name) == value
    response = other.post(again.action or loaded.action, data=again.data())
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    return again


def _fresh(session: Any, row: Any, *names: str) -> tuple[Any, ...]:
    session.expire_all()
    fresh = session.get(type(row), row.id)
    return tuple(getattr(fresh, name) for name in names)


# --------------------------------------------------------------------------- value


def test_value_entry(login_as: Any, cast: Any, session: Any) -> None:
    entry = make_entry(session, cast.account1, "1000", title="Faster invoicing")
    session.commit()
    url = f"/accounts/{cast.account1.slug}/value/entries/{entry.id}/edit"
    save_twice(login_as(cast.am1), url, {"amount": "1500"},
               {"title": "Invoices the same day"}, other=login_as(cast.admin),
               noun="this value entry", saved_label="Amount", saved="1500.00", mine="1000.00",
               state=lambda: _fresh(session, entry, "amount", "title"),
               after_first=(Decimal("1500"), "Faster invoicing"))
    session.expire_all()
    saved = session.get(ValueEntry, entry.id)
    assert saved.title == "Invoices the same day" and saved.version == 3


def test_value_commitment(login_as: Any, cast: Any, session: Any) -> None:
    commitment = make_commitment(session, cast.account1, title="Automate billing",
                                 due_on=date(2026, 12, 1))
    session.commit()
    url = f"/accounts/{cast.account1.slug}/value/commitments/{commitment.id}/edit"
    save_twice(login_as(cast.am1), url, {"status": "in_progress"},
               {"title": "Automate all billing"}, noun="this commitment",
               saved_label="Status", saved="In progress", mine="Planned",
               state=lambda: _fresh(session, commitment, "status", "title"),
               after_first=("in_progress", "Automate billing"))
    session.expire_all()
    saved = session.get(ValueCommitment, commitment.id)
    assert (saved.title, saved.version) == ("Automate all billing", 3)


def test_a_confirmation_moves_the_entry_version(login_as: Any, cast: Any, session: Any) -> None:
    """Recording a customer's answer changes the entry: a form opened before it gets
    the conflict instead of silently putting the old evidence status back."""
    entry = make_entry(session, cast.account1, "1000", title="Faster invoicing")
    session.commit()
    client = login_as(cast.am1)
    url = f"/accounts/{cast.account1.slug}/value/entries/{entry.id}/edit"
    loaded = page_form(client, url)
    answer = page_form(client, f"/accounts/{cast.account1.slug}/value/entries/{entry.id}"
                               "/confirmation", having="response")
    response = client.post(answer.action, data=answer.data(
        stakeholder_id=str(cast.stakeholder1.id), response="confirmed"))
    assert response.status_code == 302
    response = client.post(loaded.action, data=loaded.data(title="Renamed"))
    assert response.status_code == 409
    assert ["Evidence", "Confirmed", "Claimed"] in _cells(response.get_data(as_text=True))
    session.expire_all()
    assert session.get(ValueEntry, entry.id).evidence_status == "confirmed"


# --------------------------------------------------------------------------- win/loss


def test_interview(login_as: Any, cast: Any, session: Any) -> None:
    deal = make_deal(session, cast.account2, name="Globex renewal")
    interview = make_interview(session, deal, cast.stakeholder2, status="scheduled")
    session.commit()
    save_twice(login_as(cast.analyst), f"/interviews/{interview.id}/record",
               {"status": "completed", "completed_on": "2026-06-03"},
               {"notes": "They liked the onboarding."}, other=login_as(cast.admin),
               noun="this interview", saved_label="Status", saved="Completed",
               mine="Scheduled", state=lambda: _fresh(session, interview, "status", "notes"),
               after_first=("completed", None))
    assert _fresh(session, interview, "notes", "version") == ("They liked the onboarding.", 3)


def test_guide_settings(login_as: Any, cast: Any, session: Any) -> None:
    guide = make_guide(session)
    session.commit()
    client = login_as(cast.analyst)
    loaded = page_form(client, f"/guides/{guide.id}", having="guide-version")
    assert client.post(loaded.action, data=loaded.data(**{"guide-outcome": "lost"})
                       ).status_code == 302
    response = client.post(loaded.action, data=loaded.data(**{"guide-name": "Loss guide"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed this guide&#39;s settings since you opened it" in page
    assert ["For outcome", "Lost", "Any outcome"] in _cells(page)
    assert _fresh(session, guide, "name", "outcome") == (guide.name, "lost")
    again = rendered_form(page, having="guide-version")
    assert again.value("guide-name") == "Loss guide" and again.value("guide-version") == "2"


def test_factor(login_as: Any, cast: Any, session: Any) -> None:
    factor = make_factor(session, "Price", "Commercial")
    session.commit()
    save_twice(login_as(cast.analyst), f"/taxonomy/{factor.id}/edit", {"name": "Pricing"},
               {"category": "Money"}, noun="this factor", saved_label="Factor",
               saved="Pricing", mine="Price",
               state=lambda: _fresh(session, factor, "name", "category"),
               after_first=("Pricing", "Commercial"))
    assert _fresh(session, factor, "category", "version") == ("Money", 3)


def test_program_rule_toggle(login_as: Any, cast: Any, session: Any) -> None:
    """Two people press "Pause" on the same rules page: the second click does not
    switch the rule back on; it is told the rule is already paused."""
    rule = ProgramRule(name="All losses", outcome="lost")
    session.add(rule)
    session.commit()
    client = login_as(cast.analyst)
    loaded = next(f for f in rendered_forms(client.get("/rules").get_data(as_text=True))
                  if f.action.endswith(f"/rules/{rule.id}/toggle"))
    assert loaded.value("version") == "1"
    assert client.post(loaded.action, data=loaded.data()).status_code == 302
    response = login_as(cast.admin).post(loaded.action, data=loaded.data())
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Ann Analyst changed a rule since you opened it" in page
    assert ["Status of All losses", "paused", "paused"] in _cells(page)
    assert _fresh(session, rule, "active", "version") == (False, 2)


# --------------------------------------------------------------------------- admin


def test_user(login_as: Any, cast: Any, session: Any) -> None:
    second_admin = make_user(session, "admin", email="admin2@example.com", name="Abe Admin")
    session.commit()
    save_twice(login_as(cast.admin), f"/admin/users/{cast.am2.id}/edit", {"role": "leader"},
               {"name": "Robert Manager"}, other=login_as(second_admin), noun="this user",
               saved_label="Role", saved="Leader", mine="Account manager",
               state=lambda: _fresh(session, cast.am2, "role", "name"),
               after_first=("leader", "Bob Manager"))
    assert _fresh(session, cast.am2, "name", "version") == ("Robert Manager", 3)


def test_branding(login_as: Any, cast: Any, session: Any, app_config: dict[str, Any],
                  tmp_path: Any) -> None:
    client = login_as(cast.admin)
    loaded = page_form(client, "/admin/branding")
    assert loaded.value("version") == "0"  # never saved yet
    first = client.post("/admin/branding", data=loaded.data(company_name="Northwind"),
                        content_type="multipart/form-data")
    assert first.status_code == 302
    response = client.post("/admin/branding", data=loaded.data(primary_color="#aa3300"),
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed the branding since you opened it" in page
    assert ["Company name", "Northwind", "valuetracker"] in _cells(page)
    assert ["Primary colour", "#1d4ed8", "#aa3300"] in _cells(page)
    assert get_branding(session).company_name == "Northwind"
    again = rendered_form(page)
    assert (again.value("primary_color"), again.value("version")) == ("#aa3300", "1")
    assert client.post("/admin/branding", data=again.data(),
                       content_type="multipart/form-data").status_code == 302
    session.expire_all()
    assert get_branding(session).primary_color == "#aa3300"


def test_guide_question(login_as: Any, cast: Any, session: Any) -> None:
    guide = make_guide(session)
    session.commit()
    question = session.exec(select(GuideQuestion).where(GuideQuestion.guide_id == guide.id)
                            .order_by(GuideQuestion.position)).first()
    save_twice(login_as(cast.analyst), f"/guides/questions/{question.id}/edit",
               {"text": "What made you choose?"}, {"kind": "rating"}, noun="this question",
               saved_label="Question", saved="What made you choose?",
               mine="What made you decide?",
               state=lambda: _fresh(session, question, "text", "kind"),
               after_first=("What made you choose?", "text"))
    assert _fresh(session, question, "kind", "version") == ("rating", 3)
