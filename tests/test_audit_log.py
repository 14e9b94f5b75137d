"""The admin's audit log: paged, filtered by who, object and date, each event with the
before/after of the fields it changed (personal notes excepted), and its CSV."""

from __future__ import annotations

import csv
import io
import pathlib
import re
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlmodel import Session

from valuetracker import audit
from valuetracker.accounts import update_account
from valuetracker.models import utcnow
from valuetracker.stakeholders import update_stakeholder

from .conftest import Cast, browser_login


def _edit_account_and_notes(session: Session, cast: Cast) -> None:
    """Two real edits: am1 changes Acme's segment, admin changes a person's notes."""
    account = session.merge(cast.account1)
    update_account(session, account, data={"name": account.name, "segment": "SMB"},
                   expected_version=account.version, user=session.merge(cast.am1))
    person = session.merge(cast.stakeholder1)
    update_stakeholder(session, person, data={"name": person.name,
                                              "notes": "Secret: divorcing, hates golf"},
                       expected_version=person.version, user=session.merge(cast.admin))
    session.commit()


def _form_names(html: str) -> set[str]:
    form = html[html.index('<form method="get"'):]
    form = form[:form.index("</form>")]
    return set(re.findall(r'name="([a-z_]+)"', form))


def test_filter_by_who_and_object_shows_before_and_after(
        login_as: Any, session: Session, cast: Cast) -> None:
    _edit_account_and_notes(session, cast)
    client: FlaskClient = login_as(cast.admin)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert _form_names(html) == {"user", "object", "object_id", "since", "until"}

    page = client.get("/admin/audit", query_string={"user": cast.am1.id, "object": "account"})
    text = page.get_data(as_text=True)
    assert "account Acme Corp updated" in text
    assert "Carol Buyer" not in text  # the notes edit is admin's, on a stakeholder
    change = re.search(r'data-change="segment">(.*?)</div>', text, re.S).group(1)
    assert "<del>Enterprise</del> → SMB" in " ".join(change.split())

    page = client.get("/admin/audit", query_string={"object": "stakeholder"})
    text = page.get_data(as_text=True)
    assert 'data-change="notes"' in text
    assert "divorcing" not in text  # personal notes: changed, never their text


def test_date_range_and_object_id(login_as: Any, session: Session, cast: Cast) -> None:
    old = audit.record(session, "update", "account", cast.account2.id, "an old change",
                       user_id=cast.am2.id)
    old.at = utcnow() - timedelta(days=40)
    audit.record(session, "update", "account", cast.account1.id, "a new change",
                 user_id=cast.am1.id)
    session.commit()
    client = login_as(cast.admin)
    since = (utcnow() - timedelta(days=7)).date().isoformat()
    text = client.get("/admin/audit", query_string={"since": since}).get_data(as_text=True)
    assert "a new change" in text and "an old change" not in text
    until = (utcnow() - timedelta(days=30)).date().isoformat()
    text = client.get("/admin/audit", query_string={"until": until}).get_data(as_text=True)
    assert "an old change" in text and "a new change" not in text
    text = client.get("/admin/audit", query_string={"object_id": str(cast.account2.id),
                                                    "object": "account"}).get_data(as_text=True)
    assert "an old change" in text and "a new change" not in text
    # Nonsense in the query string filters nothing out and breaks nothing.
    page = client.get("/admin/audit", query_string={"user": "x'; --", "since": "yesterday"})
    assert page.status_code == 200 and "a new change" in page.get_data(as_text=True)


def test_paged_fifty_at_a_time(login_as: Any, session: Session, cast: Cast) -> None:
    for n in range(60):
        audit.record(session, "update", "account", cast.account1.id, f"change {n:02d}",
                     user_id=cast.am1.id)
    session.commit()
    client = login_as(cast.admin)
    first = client.get("/admin/audit").get_data(as_text=True)
    assert "change 59" in first and "change 10" in first and "change 09" not in first
    assert "Page 1 of 2 · 60 in all" in first
    second = client.get("/admin/audit", query_string={"page": 2}).get_data(as_text=True)
    assert "change 09" in second and "change 00" in second and "change 10" not in second


def test_csv_has_a_line_per_changed_field_and_no_formulas(login_as: Any, session: Session,
                                                          cast: Cast) -> None:
    _edit_account_and_notes(session, cast)
    audit.record(session, "update", "account", cast.account1.id, "=HYPERLINK(\"x\")",
                 user_id=cast.am1.id)
    session.commit()
    client = login_as(cast.admin)
    html = client.get("/admin/audit?object=account").get_data(as_text=True)
    link = re.search(r'href="(/admin/audit\.csv[^"]*)"', html).group(1).replace("&amp;", "&")
    response = client.get(link)
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {r["object"] for r in rows} == {"account"}  # the filter applies to the CSV
    segment = [r for r in rows if r["field"] == "segment"]
    assert [(r["user"], r["before"], r["after"]) for r in segment] == [
        ("am1@example.com", "Enterprise", "SMB")]
    assert "'=HYPERLINK(\"x\")" in [r["summary"] for r in rows]


def test_only_admins_read_the_trail(login_as: Any, cast: Cast) -> None:
    for user in (cast.am1, cast.analyst, cast.leader):
        client = login_as(user)
        assert client.get("/admin/audit").status_code == 403
        assert client.get("/admin/audit.csv").status_code == 403


def test_filter_in_the_browser(live_server: str, cast: Cast, session: Session,
                               page: Any) -> None:
    _edit_account_and_notes(session, cast)
    browser_login(page, live_server, "admin@example.com")
    page.goto(f"{live_server}/admin/audit")
    page.get_by_label("Who").select_option(label="am1@example.com")
    page.get_by_label("Object").select_option(label="Account")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/admin/audit?*")
    rows = page.locator("[data-audit-rows] tbody tr")
    assert rows.count() == 1
    assert "Segment:" in rows.first.inner_text() and "SMB" in rows.first.inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    text = pathlib.Path(download.value.path()).read_text(encoding="utf-8")
    lines = list(csv.DictReader(io.StringIO(text)))
    assert {line["user"] for line in lines} == {"am1@example.com"}
