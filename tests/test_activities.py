"""Logging activities: the "Log activity" form submitted as the page renders it, its
field errors, editing (optimistic locking) and deleting, who may do it, and the people's
"last contacted", which derives from their timelines."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape
from typing import Any

from sqlmodel import select

from valuetracker import activities
from valuetracker.links import create_link
from valuetracker.models import (
    AccountMember,
    Activity,
    ActivityStakeholder,
    AuditEvent,
    Stakeholder,
)
from valuetracker.value.outreach import submit_pulse

from .factories import make_activity, make_stakeholder, make_user
from .rendered import page_form, rendered_form, rendered_forms

TODAY = date.today()


def _new_url(cast: Any, **query: Any) -> str:
    suffix = "".join(f"?{k}={v}" for k, v in query.items())
    return f"/accounts/{cast.account1.slug}/activities/new{suffix}"


def _people(session: Any, activity: Activity) -> set[int]:
    return set(session.exec(select(ActivityStakeholder.stakeholder_id).where(
        ActivityStakeholder.activity_id == activity.id)).all())


def _field_tag(page: str, name: str) -> str:
    """The <input>, <select> or <textarea> tag of the field `name`."""
    found = re.search(rf'<(?:input|select|textarea)[^>]*name="{name}"[^>]*>', page)
    assert found, name
    return found.group(0)


def _contacted(session: Any, person: Stakeholder) -> date | None:
    session.expire_all()
    return session.get(Stakeholder, person.id).last_contacted_on


def test_log_a_call_as_the_form_renders(login_as: Any, cast: Any, session: Any) -> None:
    """Opened from Carol's page: the date is today and Carol is chosen; posting what the
    page renders (with a summary typed) logs the call, audits it and moves her last
    contacted to today; back on her timeline, it is the newest line."""
    client = login_as(cast.am1)
    person = cast.stakeholder1
    other = make_stakeholder(session, cast.account1, "Ed Engineer", title="CTO")
    session.commit()
    form = page_form(client, _new_url(cast, **{"with": person.id}), having="summary")
    assert form.value("occurred_on") == TODAY.isoformat()
    assert form.value("kind") == "call"
    assert [v for n, v in form.fields if n == "stakeholder_ids"] == [str(person.id)]
    response = client.post(form.action, data=form.data(
        summary="Renewal call: budget confirmed", outcome="Send the proposal by Friday",
        stakeholder_ids=[str(person.id), str(other.id)]))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/stakeholders/{person.id}/timeline")
    activity = session.exec(select(Activity)).one()
    assert (activity.kind, activity.occurred_on, activity.user_id) == ("call", TODAY,
                                                                       cast.am1.id)
    assert activity.outcome == "Send the proposal by Friday"
    assert _people(session, activity) == {person.id, other.id}
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "activity")).one()
    assert event.action == "create" and event.user_id == cast.am1.id
    assert "Carol" not in event.summary and "Renewal" not in event.summary  # no names
    assert _contacted(session, person) == TODAY and _contacted(session, other) == TODAY
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Renewal call: budget confirmed" in page and "Send the proposal by Friday" in page
    assert f'data-last-contacted>{TODAY.isoformat()}<' in page


def test_refused_input_rerenders_with_field_errors(login_as: Any, cast: Any,
                                                   session: Any) -> None:
    client = login_as(cast.am1)
    form = page_form(client, _new_url(cast), having="summary")
    person = str(cast.stakeholder1.id)
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    cases = [
        ({"summary": "  ", "stakeholder_ids": person}, "summary", "Say what it was about."),
        ({"summary": "x", "stakeholder_ids": person, "occurred_on": tomorrow},
         "occurred_on", "cannot be in the future"),
        ({"summary": "x", "stakeholder_ids": person, "occurred_on": "yesterday"},
         "occurred_on", "Not a valid date value."),
        ({"summary": "x", "stakeholder_ids": person, "occurred_on": "1850-01-01"},
         "occurred_on", "between 1900 and 2199"),
        ({"summary": "x", "stakeholder_ids": []}, "stakeholder_ids",
         "Choose who the call was with."),
        ({"summary": "x", "kind": "meeting", "stakeholder_ids": []}, "stakeholder_ids",
         "Choose who the meeting was with."),
        # someone at another account is not one of the choices
        ({"summary": "x", "stakeholder_ids": str(cast.stakeholder2.id)}, "stakeholder_ids",
         "not a valid choice"),
        ({"summary": "x", "kind": "visit", "stakeholder_ids": person}, "kind",
         "Not a valid choice"),
        ({"summary": "x" * 5001, "stakeholder_ids": person}, "summary", "5000"),
    ]
    for changes, name, message in cases:
        response = client.post(form.action, data=form.data(**changes))
        page = response.get_data(as_text=True)
        assert response.status_code == 200, changes
        assert "is-invalid" in _field_tag(page, name), changes
        assert message.lower() in unescape(page).lower(), (changes, message)
    assert session.exec(select(Activity)).first() is None
    # A note needs nobody: it is not a contact, and nobody's last contacted moves.
    response = client.post(form.action, data=form.data(kind="note", summary="Budget freeze?",
                                                       stakeholder_ids=[]))
    assert response.status_code == 302
    assert session.exec(select(Activity)).one().kind == "note"


def test_last_contacted_follows_the_timeline(app: Any, cast: Any, session: Any) -> None:
    """Calls, meetings and e-mails move it; notes do not; a back-dated call does not move
    it back; editing and deleting give it back from the rest of the timeline; a date
    recorded before the timeline existed still counts."""
    person = cast.stakeholder1
    person.contacted_before_timeline_on = date(2026, 1, 10)
    session.add(person)
    session.commit()
    account = cast.account1

    def log(kind: str, day: date, people: tuple[Stakeholder, ...] = (person,)) -> Activity:
        activity = activities.log_activity(session, account, {
            "kind": kind, "occurred_on": day, "summary": f"{kind} on {day}"},
            stakeholder_ids=[p.id for p in people], user=cast.am1, today=date(2026, 12, 31))
        session.commit()
        return activity

    log("note", date(2026, 3, 1))
    assert _contacted(session, person) == date(2026, 1, 10)  # a note is no contact
    march = log("email", date(2026, 3, 2))
    assert _contacted(session, person) == date(2026, 3, 2)
    log("meeting", date(2026, 2, 1))  # older: last contacted stays
    assert _contacted(session, person) == date(2026, 3, 2)
    other = make_stakeholder(session, account, "Fay Finance")
    session.commit()
    activities.update_activity(session, march, {
        "kind": "email", "occurred_on": date(2026, 3, 2), "summary": "moved to Fay"},
        expected_version=march.version, stakeholder_ids=[other.id], user=cast.am1,
        today=date(2026, 12, 31))
    session.commit()
    assert _contacted(session, person) == date(2026, 2, 1)  # the meeting is the newest now
    assert _contacted(session, other) == date(2026, 3, 2)
    activities.delete_activity(session, march, user=cast.am1)
    session.commit()
    assert _contacted(session, other) is None


def test_an_answer_through_a_link_is_a_contact(app: Any, cast: Any, session: Any) -> None:
    person = cast.stakeholder1
    with app.test_request_context():
        link, _token = create_link(session, "pulse", stakeholder_id=person.id,
                                   account_id=cast.account1.id)
        submit_pulse(session, link, {"satisfaction": 4, "repurchase_intent": "probably",
                                     "recommend": 8})
        session.commit()
    assert _contacted(session, person) == date.today()


def test_edit_as_rendered_and_a_concurrent_edit_is_a_409(login_as: Any, cast: Any,
                                                        session: Any) -> None:
    activity = make_activity(session, cast.account1, people=(cast.stakeholder1,),
                             author=cast.am1, summary="First call")
    session.commit()
    url = f"/accounts/{cast.account1.slug}/activities/{activity.id}/edit"
    client = login_as(cast.am1)
    loaded = page_form(client, url)
    assert loaded.value("summary") == "First call"
    assert [v for n, v in loaded.fields if n == "stakeholder_ids"] == [
        str(cast.stakeholder1.id)]
    response = client.post(loaded.action, data=loaded.data(summary="First call, edited"))
    assert response.status_code == 302
    # Someone else saves from the same (now stale) form: refused, with both versions.
    response = login_as(cast.admin).post(loaded.action, data=loaded.data(summary="Mine"))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed this activity since you opened it" in page
    session.expire_all()
    assert session.get(Activity, activity.id).summary == "First call, edited"
    again = rendered_form(page)
    assert again.value("summary") == "Mine"
    assert login_as(cast.admin).post(loaded.action, data=again.data()).status_code == 302
    session.expire_all()
    assert session.get(Activity, activity.id).summary == "Mine"
    update = session.exec(select(AuditEvent).where(AuditEvent.entity == "activity",
                                                   AuditEvent.action == "update")).all()
    assert update and all(e.details["summary"] == ["…", "…"] for e in update)


def test_delete_from_the_timeline(login_as: Any, cast: Any, session: Any) -> None:
    activity = make_activity(session, cast.account1, people=(cast.stakeholder1,),
                             summary="Wrong account, delete me")
    session.commit()
    client = login_as(cast.am1)
    page = client.get(f"/accounts/{cast.account1.slug}/timeline").get_data(as_text=True)
    form = next(f for f in rendered_forms(page)
                if f.action.endswith(f"/activities/{activity.id}/delete"))
    response = client.post(form.action, data=form.data())
    assert response.status_code == 302
    assert session.exec(select(Activity)).first() is None
    assert session.exec(select(ActivityStakeholder)).first() is None
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "delete",
                                                 AuditEvent.entity == "activity")).one()


def test_who_may_log_read_and_change(login_as: Any, cast: Any, session: Any) -> None:
    """Readers read the timeline but get 403 on logging, editing and deleting; another
    team's account manager gets 404 on everything of the account; the owner's team
    member may change what the owner logged."""
    activity = make_activity(session, cast.account1, people=(cast.stakeholder1,),
                             author=cast.am1)
    member = make_user(session, "account_manager")
    session.add(AccountMember(account_id=cast.account1.id, user_id=member.id))
    session.commit()
    slug = cast.account1.slug
    edit = f"/accounts/{slug}/activities/{activity.id}/edit"
    delete = f"/accounts/{slug}/activities/{activity.id}/delete"
    for reader in (cast.leader, cast.analyst):
        client = login_as(reader)
        assert client.get(f"/accounts/{slug}/timeline").status_code == 200
        assert client.get(f"/stakeholders/{cast.stakeholder1.id}/timeline").status_code == 200
        assert client.get(_new_url(cast)).status_code == 403
        assert client.get(edit).status_code == 403
        assert client.post(delete).status_code == 403
        page = client.get(f"/accounts/{slug}/timeline").get_data(as_text=True)
        assert "Log activity" not in page and "/delete" not in page
    outsider = login_as(cast.am2)
    for url in (f"/accounts/{slug}/timeline", f"/stakeholders/{cast.stakeholder1.id}/timeline",
                _new_url(cast), edit):
        assert outsider.get(url).status_code == 404, url
    assert outsider.post(delete).status_code == 404
    # An activity of another account through this account's URL: 404, not the row.
    foreign = make_activity(session, cast.account2, people=(cast.stakeholder2,))
    session.commit()
    assert login_as(cast.am1).get(
        f"/accounts/{slug}/activities/{foreign.id}/edit").status_code == 404
    form = page_form(login_as(member), edit)
    assert login_as(member).post(form.action, data=form.data(summary="By the team member")
                                 ).status_code == 302
