"""The value page's list of unanswered links: ages, reminders, and its Resend and Withdraw
buttons submitted as the page renders them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from valuetracker import links
from valuetracker.models import AccessLink, AuditEvent, utcnow

from .factories import make_entry, make_stakeholder
from .rendered import page_text, posting_to


def sent_days_ago(app: Any, session: Session, person: Any, days: float, *,
                  purpose: str = "pulse", **kw: Any) -> tuple[AccessLink, str]:
    """A link to `person` as if mailed `days` days ago, and its token."""
    with app.app_context():
        link, token = links.create_link(session, purpose, stakeholder_id=person.id,
                                        account_id=person.account_id, **kw)
    sent = utcnow() - timedelta(days=days)
    link.created_at, link.expires_at = sent, sent + timedelta(days=14)
    session.commit()
    return link, token


def test_the_list_shows_each_link_with_its_age(app: Any, session: Session, cast: Any,
                                               login_as: Any) -> None:
    olga = make_stakeholder(session, cast.account1, "Olga Optout")
    erin = make_stakeholder(session, cast.account1, "Erin Early")
    entry = make_entry(session, cast.account1, beneficiaries=(cast.stakeholder1,))
    session.commit()
    pulse, _ = sent_days_ago(app, session, cast.stakeholder1, 9)
    confirm, _ = sent_days_ago(app, session, cast.stakeholder1, 2, purpose="confirm_value",
                               payload={"entry_ids": [entry.id]})
    today, _ = sent_days_ago(app, session, olga, 0)
    due, _ = sent_days_ago(app, session, erin, 8)  # the worker has not run yet
    pulse.reminded_at = pulse.created_at + timedelta(days=7)
    olga.opted_out_at = utcnow()
    session.add_all([pulse, olga])
    sent_days_ago(app, session, cast.stakeholder2, 9)  # another account's: not listed
    answered, _ = sent_days_ago(app, session, cast.stakeholder1, 3)
    answered.used_at = utcnow()
    session.add(answered)
    session.commit()

    page = login_as(cast.am1).get(f"/accounts/{cast.account1.slug}/value")
    assert page.status_code == 200
    text = page_text(page.get_data(as_text=True))
    day = "%Y-%m-%d"
    assert (f"Carol Buyer · pulse · sent 9 days ago ({pulse.created_at:{day}}) · reminded on "
            f"{pulse.reminded_at:{day}} · expires on {pulse.expires_at:{day}}") in text
    assert (f"Carol Buyer · confirmation · sent 2 days ago ({confirm.created_at:{day}}) · "
            f"reminder on {confirm.created_at + timedelta(days=7):{day}} · expires on "
            f"{confirm.expires_at:{day}}") in text
    assert (f"Olga Optout · pulse · sent today ({today.created_at:{day}}) · no reminder: "
            f"opted out") in text
    assert (f"Erin Early · pulse · sent 8 days ago ({due.created_at:{day}}) · reminder due now"
            f" · expires on {due.expires_at:{day}}") in text
    assert "Dan Champion" not in text
    assert text.count("sent ") == 4  # the answered link is not waiting any more
    html = page.get_data(as_text=True)
    base = f"/accounts/{cast.account1.slug}/value/links"
    assert f'action="{base}/{today.id}/resend"' not in html  # she may not be mailed
    posting_to(html, f"{base}/{today.id}/revoke")


def test_resend_replaces_the_link(smtp: Any, app: Any, session: Session, cast: Any,
                                  login_as: Any, client: Any) -> None:
    entry = make_entry(session, cast.account1, beneficiaries=(cast.stakeholder1,))
    session.commit()
    old, old_token = sent_days_ago(app, session, cast.stakeholder1, 9, purpose="confirm_value",
                                   payload={"entry_ids": [entry.id]})
    am1 = login_as(cast.am1)
    page = am1.get(f"/accounts/{cast.account1.slug}/value").get_data(as_text=True)
    form = posting_to(page, f"/accounts/{cast.account1.slug}/value/links/{old.id}/resend")
    response = am1.post(form.action, data=form.data())
    assert response.status_code == 302 and response.location.endswith("/value#links")

    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == [cast.stakeholder1.email]
    assert message["Subject"] == "Acme Corp: did we deliver what we think we did?"
    session.expire_all()
    assert session.get(AccessLink, old.id).revoked_at is not None
    new = session.exec(select(AccessLink).where(AccessLink.id != old.id)).one()
    assert (new.purpose, new.stakeholder_id, new.payload) == \
        ("confirm_value", cast.stakeholder1.id, {"entry_ids": [entry.id]})
    assert new.revoked_at is None and new.reminded_at is None
    with app.app_context():
        new_token = links.link_token(new)
    assert new_token in message.get_body(("plain",)).get_content()
    assert client.get(f"/l/confirm/{old_token}").status_code == 410  # withdrawn
    assert client.get(f"/l/confirm/{new_token}").status_code == 200
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "resend")).one()
    assert (event.entity_id, event.details["replaces"], event.user_id) == \
        (str(new.id), old.id, cast.am1.id)
    # The list now shows the new link, sent today.
    text = page_text(am1.get(f"/accounts/{cast.account1.slug}/value").get_data(as_text=True))
    assert "Carol Buyer · confirmation · sent today" in text and "9 days ago" not in text


def test_withdraw_stops_the_link(app: Any, session: Session, cast: Any, login_as: Any,
                                 client: Any) -> None:
    link, token = sent_days_ago(app, session, cast.stakeholder1, 4)
    am1 = login_as(cast.am1)
    page = am1.get(f"/accounts/{cast.account1.slug}/value").get_data(as_text=True)
    form = posting_to(page, f"/accounts/{cast.account1.slug}/value/links/{link.id}/revoke")
    assert am1.post(form.action, data=form.data()).status_code == 302
    session.expire_all()
    assert session.get(AccessLink, link.id).revoked_at is not None
    assert client.get(f"/l/pulse/{token}").status_code == 410
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "revoke")).one()
    assert (event.entity_id, event.user_id) == (str(link.id), cast.am1.id)
    text = page_text(am1.get(f"/accounts/{cast.account1.slug}/value").get_data(as_text=True))
    assert "Links waiting for an answer" not in text


def test_another_teams_manager_gets_404(smtp: Any, app: Any, session: Session, cast: Any,
                                        login_as: Any) -> None:
    link, _ = sent_days_ago(app, session, cast.stakeholder1, 9)
    page = login_as(cast.am1).get(f"/accounts/{cast.account1.slug}/value").get_data(
        as_text=True)
    base = f"/accounts/{cast.account1.slug}/value/links/{link.id}"
    forms = [posting_to(page, f"{base}/resend"), posting_to(page, f"{base}/revoke")]
    am2 = login_as(cast.am2)
    for form in forms:
        assert am2.post(form.action, data=form.data()).status_code == 404, form.action
    # Nor through their own account's address.
    own = f"/accounts/{cast.account2.slug}/value/links/{link.id}"
    for action in ("resend", "revoke"):
        assert am2.post(f"{own}/{action}", data=forms[0].data()).status_code == 404
    session.expire_all()
    assert session.get(AccessLink, link.id).revoked_at is None
    assert len(session.exec(select(AccessLink)).all()) == 1 and smtp.messages == []


def test_resend_of_an_answered_link_is_refused(smtp: Any, app: Any, session: Session,
                                               cast: Any, login_as: Any) -> None:
    link, _ = sent_days_ago(app, session, cast.stakeholder1, 9)
    am1 = login_as(cast.am1)
    page = am1.get(f"/accounts/{cast.account1.slug}/value").get_data(as_text=True)
    form = posting_to(page, f"/accounts/{cast.account1.slug}/value/links/{link.id}/resend")
    link.used_at = utcnow()  # answered while the page was open
    session.add(link)
    session.commit()
    response = am1.post(form.action, data=form.data(), follow_redirects=True)
    assert response.status_code == 200
    assert "was answered, withdrawn or has expired" in response.get_data(as_text=True)
    assert smtp.messages == [] and len(session.exec(select(AccessLink)).all()) == 1


def test_a_refused_mail_keeps_the_old_link(smtp: Any, app: Any, session: Session, cast: Any,
                                           login_as: Any) -> None:
    from .conftest import free_port

    link, _ = sent_days_ago(app, session, cast.stakeholder1, 9)
    am1 = login_as(cast.am1)
    page = am1.get(f"/accounts/{cast.account1.slug}/value").get_data(as_text=True)
    form = posting_to(page, f"/accounts/{cast.account1.slug}/value/links/{link.id}/resend")
    app.config["MAIL_PORT"] = free_port()  # nobody listens there
    response = am1.post(form.action, data=form.data(), follow_redirects=True)
    assert "The old link still works" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(AccessLink, link.id).revoked_at is None
    assert len(session.exec(select(AccessLink)).all()) == 1
