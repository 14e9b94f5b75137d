"""The notifications menu and page, marking read, opening, preferences and the
unsubscribe-from-digest page: forms submitted as the pages render them; a user only
ever sees their own notifications."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlmodel import Session, select

from valuetracker.links import digest_unsubscribe_token
from valuetracker.models import AuditEvent, Notification, NotificationPreference, User

from .rendered import RenderedForm, page_form, rendered_forms


def _form_to(client: Any, url: str, action: str) -> RenderedForm:
    """The POST form of the page at `url` that submits to `action`."""
    forms = [f for f in rendered_forms(client.get(url).get_data(as_text=True))
             if f.method == "post" and f.action == action]
    assert len(forms) == 1, f"{len(forms)} forms to {action}"
    return forms[0]


def _notify(session: Session, user: User, text: str, url: str = "/") -> Notification:
    row = Notification(user_id=user.id, event="value.disputed", entity="value_entry",
                       text=text, url=url)
    session.add(row)
    session.commit()
    return row


def test_the_menu_counts_unread_and_the_page_lists_only_mine(
        session: Session, cast: Any, login_as: Any) -> None:
    _notify(session, cast.am1, "First for Alice")
    _notify(session, cast.am1, "Second for Alice")
    _notify(session, cast.am2, "For Bob only")
    hidden = Notification(user_id=cast.am1.id, event="deal.closed", entity="deal",
                          text="E-mail only", in_app=False, email=True)
    session.add(hidden)
    session.commit()
    client = login_as(cast.am1)
    home = client.get("/").get_data(as_text=True)
    assert 'id="unread-count">2<' in home
    html = client.get("/notifications").get_data(as_text=True)
    assert "First for Alice" in html and "Second for Alice" in html
    assert "For Bob only" not in html and "E-mail only" not in html
    assert html.index("Second for Alice") < html.index("First for Alice")  # newest first
    assert 'id="unread-count"' not in login_as(cast.leader).get("/").get_data(as_text=True)


def test_mark_read_open_and_mark_all_read_from_the_rendered_forms(
        session: Session, cast: Any, login_as: Any) -> None:
    one = _notify(session, cast.am1, "One", url=f"/accounts/{cast.account1.slug}")
    two = _notify(session, cast.am1, "Two")
    _notify(session, cast.am1, "Three")
    client = login_as(cast.am1)
    forms = rendered_forms(client.get("/notifications").get_data(as_text=True))
    by_action = {f.action: f for f in forms if f.method == "post"}
    read = by_action[f"/notifications/{two.id}/read"]
    assert client.post(read.action, data=read.data()).status_code == 302
    opened = by_action[f"/notifications/{one.id}/open"]
    response = client.post(opened.action, data=opened.data())
    assert response.headers["Location"] == f"/accounts/{cast.account1.slug}"
    session.expire_all()
    assert [n.text for n in session.exec(select(Notification).where(
        Notification.read_at.is_(None)))] == ["Three"]
    read_all = _form_to(client, "/notifications", "/notifications/read-all")
    client.post(read_all.action, data=read_all.data())
    session.expire_all()
    assert session.exec(select(Notification).where(Notification.read_at.is_(None))).all() == []
    html = client.get("/notifications").get_data(as_text=True)
    assert "All read." in html and "Mark all read" not in html


def test_another_users_notification_is_a_404_whatever_the_role(
        session: Session, cast: Any, login_as: Any) -> None:
    mine = _notify(session, cast.am1, "Alice's")
    for user in (cast.am2, cast.admin, cast.leader):
        client = login_as(user)
        assert client.post(f"/notifications/{mine.id}/read").status_code == 404
        assert client.post(f"/notifications/{mine.id}/open").status_code == 404
        client.post("/notifications/read-all")
    session.expire_all()
    assert session.get(Notification, mine.id).read_at is None  # type: ignore[union-attr]


def test_preferences_page_saves_the_choices_as_rendered(
        session: Session, cast: Any, login_as: Any) -> None:
    client = login_as(cast.am1)
    form = page_form(client, "/notifications/preferences", having="digest_frequency")
    assert form.value("value_disputed__email") == "y"  # on by default
    assert "deal_closed__email" not in dict(form.fields)  # off by default
    assert "deal_closed__digest" not in form.names  # no digest section for it
    # Untick one box, tick another, choose weekly: what the browser would send.
    data = form.data(digest_frequency="weekly", deal_closed__email="y")
    data.poplist("value_disputed__email")
    assert client.post(form.action, data=data).status_code == 302
    session.expire_all()
    rows = {(p.event, p.channel): p.enabled for p in session.exec(
        select(NotificationPreference).where(NotificationPreference.user_id == cast.am1.id))}
    assert rows == {("value.disputed", "email"): False, ("deal.closed", "email"): True}
    assert session.get(User, cast.am1.id).digest_frequency == "weekly"  # type: ignore[union-attr]
    audit = session.exec(select(AuditEvent).where(
        AuditEvent.entity == "notification_preferences")).one()
    assert "value.disputed email: off" in audit.details["changes"]  # type: ignore[index]
    # Shown again as saved; saving it unchanged changes nothing.
    again = page_form(client, "/notifications/preferences", having="digest_frequency")
    assert "value_disputed__email" not in dict(again.fields)
    assert again.value("deal_closed__email") == "y"
    client.post(again.action, data=again.data())
    session.expire_all()
    assert len(session.exec(select(NotificationPreference)).all()) == 2


def test_unsubscribe_from_the_digest_needs_the_button(
        app: Flask, session: Session, cast: Any, client: Any) -> None:
    with app.app_context():
        token = digest_unsubscribe_token(cast.am1.id)
    url = f"/notifications/unsubscribe/{token}"
    html = client.get(url).get_data(as_text=True)
    assert "Stop your daily digest?" in html
    session.expire_all()
    assert session.get(User, cast.am1.id).digest_frequency == "daily"  # type: ignore[union-attr]
    form = _form_to(client, url, url)
    assert client.post(form.action, data=form.data()).status_code == 302
    session.expire_all()
    assert session.get(User, cast.am1.id).digest_frequency == "off"  # type: ignore[union-attr]
    assert "Your digest is off" in client.get(url).get_data(as_text=True)
    assert client.get(url[:-3] + "xyz").status_code == 404


def test_one_click_unsubscribe_from_the_digest(app: Flask, session: Session, cast: Any,
                                               client: Any) -> None:
    with app.app_context():
        token = digest_unsubscribe_token(cast.am2.id)
    url = f"/notifications/unsubscribe/{token}/one-click"
    assert client.post(url, data={}).status_code == 400
    assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    session.expire_all()
    assert session.get(User, cast.am2.id).digest_frequency == "off"  # type: ignore[union-attr]
    assert session.get(User, cast.am1.id).digest_frequency == "daily"  # type: ignore[union-attr]
