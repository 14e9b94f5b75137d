"""Saved views: saved from a list's own "Save view" form as the page renders it, shown in
the user's menu only, opened, renamed and deleted (audited); anyone else's is a 404."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import Session, select

from valuetracker import saved_views
from valuetracker.models import AuditEvent, SavedView

from .factories import make_deal
from .rendered import page_html, page_text, posting_to


def _menu(html: str) -> list[tuple[str, str]]:
    menu = html.split('id="saved-views-menu"', 1)[1].split("</ul>", 1)[0]
    return [(text, href) for href, text in
            re.findall(r'class="dropdown-item saved-view-link" href="([^"]+)">([^<]+)</a>', menu)]


def test_save_a_filtered_list_open_rename_delete(session: Session, cast: Any,
                                                 login_as: Any) -> None:
    make_deal(session, cast.account1, "won", name="Won one")
    make_deal(session, cast.account1, "lost", name="Lost one")
    session.commit()
    client = login_as(cast.am1)
    html = page_html(client, "/deals?outcome=won&sort=-amount&page=1")
    form = posting_to(html, "/views")
    assert form.value("endpoint") == "winloss.deals"
    response = client.post(form.action, data=form.data(name="  Won  deals "))
    view = session.exec(select(SavedView)).one()
    assert (view.user_id, view.name, view.endpoint) == (cast.am1.id, "Won deals",
                                                         "winloss.deals")
    assert view.query == "outcome=won&sort=-amount"  # never the page
    assert response.status_code == 302
    assert response.headers["Location"] == "/deals?outcome=won&sort=-amount"

    # In am1's menu on every page, opening the list as saved; in nobody else's.
    html = page_html(client, "/accounts")
    [(name, href)] = _menu(html)
    assert name == "Won deals"
    opened = client.get(href)
    assert opened.headers["Location"] == "/deals?outcome=won&sort=-amount"
    listing = page_text(page_html(client, opened.headers["Location"]))
    assert "Won one" in listing and "Lost one" not in listing
    assert _menu(page_html(login_as(cast.am2), "/accounts")) == []

    # Rename and delete from the views page, as it renders them.
    page = page_html(client, "/views")
    rename = posting_to(page, f"/views/{view.id}/rename")
    client.post(rename.action, data=rename.data(name="Closed won"))
    session.refresh(view)
    assert view.name == "Closed won"
    assert [n for n, _h in _menu(page_html(client, "/views"))] == ["Closed won"]
    delete = posting_to(page_html(client, "/views"), f"/views/{view.id}/delete")
    client.post(delete.action, data=delete.data())
    assert session.exec(select(SavedView)).all() == []
    assert _menu(page_html(client, "/accounts")) == []
    actions = [(e.action, e.entity) for e in session.exec(
        select(AuditEvent).where(AuditEvent.entity == "saved_view").order_by(AuditEvent.id))]
    assert actions == [("create", "saved_view"), ("update", "saved_view"),
                       ("delete", "saved_view")]


def test_names_are_unique_per_user_and_required(session: Session, cast: Any,
                                                login_as: Any) -> None:
    client = login_as(cast.am1)
    form = posting_to(page_html(client, "/stakeholders?key=yes"), "/views")
    client.post(form.action, data=form.data(name="Key people"))
    again = client.post(form.action, data=form.data(name="Key people"),
                        follow_redirects=True)
    assert "You already have a view named “Key people”." in again.get_data(as_text=True)
    empty = client.post(form.action, data=form.data(name=""), follow_redirects=True)
    assert "Give the view a name of 1 to 80 characters." in empty.get_data(as_text=True)
    # Another user may use the same name.
    other = login_as(cast.am2)
    form2 = posting_to(page_html(other, "/accounts?tier=key"), "/views")
    other.post(form2.action, data=form2.data(name="Key people"))
    rows = session.exec(select(SavedView).order_by(SavedView.id)).all()
    assert [(r.user_id, r.name, r.endpoint, r.query) for r in rows] == [
        (cast.am1.id, "Key people", "stakeholders.index", "key=yes&sort=name"),
        (cast.am2.id, "Key people", "accounts.index", "tier=key&sort=name")]


def test_anyone_elses_view_is_a_404(session: Session, cast: Any, login_as: Any) -> None:
    view = saved_views.save_view(session, cast.am1, name="Mine", endpoint="accounts.index",
                                 query="tier=key")
    session.commit()
    other = login_as(cast.am2)
    assert other.get(f"/views/{view.id}").status_code == 404
    assert other.post(f"/views/{view.id}/rename", data={"name": "Taken"}).status_code == 404
    assert other.post(f"/views/{view.id}/delete").status_code == 404
    assert "Mine" not in page_html(other, "/views")
    session.refresh(view)
    assert view.name == "Mine"


def test_only_lists_and_their_own_arguments_are_saved(session: Session, cast: Any) -> None:
    with pytest.raises(saved_views.SavedViewError):
        saved_views.save_view(session, cast.am1, name="Admin", endpoint="admin.list_users",
                              query="")
    view = saved_views.save_view(session, cast.am1, name="Deals",
                                 endpoint="winloss.deals",
                                 query="outcome=won&page=3&format=csv&evil=1&product=")
    assert view.query == "outcome=won"
