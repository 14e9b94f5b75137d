"""Summaries pages: permissions of every route, generate/send through the web, download."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, render_template
from sqlmodel import Session, select

from valuetracker.models import Distribution, Job, ValueSummary
from valuetracker.quarters import parse_quarter
from valuetracker.summaries import account_overview

from .conftest import get_statements
from .factories import make_account, make_stakeholder
from .factories.scenarios import seed_account_value
from .rendered import page_text

Q = "2026-Q3"


def _generate(client: object, slug: str, **data: str) -> object:
    return client.post(f"/accounts/{slug}/summaries/generate",  # type: ignore[attr-defined]
                       data={"quarter": Q, "variant": "stakeholder", **data})


def test_read_routes_permissions(app: Flask, session: Session, cast: object,
                                 login_as: object) -> None:
    c = cast  # type: ignore[assignment]
    urls = [f"/accounts/acme-corp/summaries?quarter={Q}",
            f"/accounts/acme-corp/summaries/preview?quarter={Q}&stakeholder={c.stakeholder1.id}",
            f"/accounts/acme-corp/summaries/preview?quarter={Q}&stakeholder=internal"]
    expected = [(c.am1, 200), (c.am2, 404), (c.analyst, 200), (c.leader, 200), (c.admin, 200)]
    for user, status in expected:
        client = login_as(user)  # type: ignore[operator]
        for url in urls:
            assert client.get(url).status_code == status, (user.email, url)
    assert app.test_client().get(urls[0]).status_code == 302  # anonymous -> login
    # A stakeholder of another account cannot be previewed through this account.
    client = login_as(c.admin)  # type: ignore[operator]
    assert client.get(f"/accounts/acme-corp/summaries/preview?quarter={Q}"
                      f"&stakeholder={c.stakeholder2.id}").status_code == 404
    response = client.get(urls[1])
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert "inline" in response.headers["Content-Disposition"]


def test_generate_and_send_permissions(app: Flask, session: Session, cast: object,
                                       login_as: object) -> None:
    c = cast  # type: ignore[assignment]
    expected = [(c.am2, 404), (c.analyst, 403), (c.am1, 302), (c.leader, 302), (c.admin, 302)]
    for user, status in expected:
        client = login_as(user)  # type: ignore[operator]
        assert _generate(client, "acme-corp").status_code == status, user.email
        assert client.post("/accounts/acme-corp/summaries/send",
                           data={"quarter": Q}).status_code == status, user.email
    assert app.test_client().post("/accounts/acme-corp/summaries/generate").status_code == 302
    for user, status in [(c.am1, 403), (c.analyst, 403), (c.leader, 302), (c.admin, 302)]:
        client = login_as(user)  # type: ignore[operator]
        response = client.post("/summaries/generate", data={"quarter": Q,
                                                           "variant": "stakeholder"})
        assert response.status_code == status, user.email


def test_generate_redirects_to_progress_then_send_once(app: Flask, session: Session,
                                                       cast: object, login_as: object) -> None:
    c = cast  # type: ignore[assignment]
    seed_account_value(session, c.account1, c.stakeholder1)
    session.commit()
    client = login_as(c.am1)  # type: ignore[operator]
    response = _generate(client, "acme-corp")
    job = session.exec(select(Job)).one()
    assert response.headers["Location"].endswith(f"/jobs/{job.id}")
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "<progress" in page and f'data-job-url="/jobs/{job.id}.json"' in page
    assert client.get(f"/jobs/{job.id}.json").get_json() == {
        "id": job.id, "status": "done", "done": 1, "failed": 0, "total": 1, "percent": 100,
        "message": "Finished: 1 of 1 done"}
    summary = session.exec(select(ValueSummary)).one()
    download = client.get(f"/accounts/acme-corp/summaries/{summary.id}.pdf")
    assert download.status_code == 200
    assert download.data == (Path(app.config["REPORTS_DIR"]) / summary.file_path).read_bytes()
    # Two clicks on Send: one sending.
    for _ in range(2):
        assert client.post("/accounts/acme-corp/summaries/send",
                           data={"quarter": Q}).status_code == 302
    assert len(session.exec(select(Distribution)).all()) == 1
    assert len(list(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))) == 1
    page = client.get(f"/accounts/acme-corp/summaries?quarter={Q}").get_data(as_text=True)
    assert "100%" in page and "Received" in page
    overview = account_overview(session, c.account1, quarter=parse_quarter(Q))
    assert (overview["sent"], overview["eligible"], overview["rate"]) == (1, 1, 1)
    assert overview["summaries"] == [{"id": summary.id, "label": "Carol Buyer"}]
    with app.test_request_context():
        panel = render_template("summaries/_account_panel.html", summaries_overview=overview,
                                account=c.account1)
    assert f"/accounts/acme-corp/summaries/{summary.id}.pdf" in panel


def test_download_permissions(app: Flask, session: Session, cast: object,
                              login_as: object) -> None:
    c = cast  # type: ignore[assignment]
    _generate(login_as(c.am1), "acme-corp")  # type: ignore[operator]
    summary = session.exec(select(ValueSummary)).one()
    url = f"/accounts/acme-corp/summaries/{summary.id}.pdf"
    for user, status in [(c.am1, 200), (c.am2, 404), (c.analyst, 200), (c.leader, 200),
                         (c.admin, 200)]:
        assert login_as(user).get(url).status_code == status  # type: ignore[operator]
    # The summary id through another account's URL: 404, even for an admin.
    other = f"/accounts/globex/summaries/{summary.id}.pdf"
    assert login_as(c.admin).get(other).status_code == 404  # type: ignore[operator]


def test_jobs_visible_to_creator_leader_admin(app: Flask, session: Session, cast: object,
                                              login_as: object) -> None:
    c = cast  # type: ignore[assignment]
    _generate(login_as(c.am1), "acme-corp")  # type: ignore[operator]
    job = session.exec(select(Job)).one()
    for user, status in [(c.am1, 200), (c.am2, 404), (c.analyst, 404), (c.leader, 200),
                         (c.admin, 200)]:
        client = login_as(user)  # type: ignore[operator]
        assert client.get(f"/jobs/{job.id}").status_code == status
        assert client.get(f"/jobs/{job.id}.json").status_code == status
    assert app.test_client().get(f"/jobs/{job.id}.json").status_code in (302, 401)
    assert login_as(c.admin).get("/jobs/999.json").status_code == 404  # type: ignore


@pytest.mark.parametrize("quarter", ["2026-Q9", "<script>", ""])
def test_bad_quarter_never_500(app: Flask, cast: object, login_as: object,
                               quarter: str) -> None:
    client = login_as(cast.admin)  # type: ignore[attr-defined,operator]
    assert client.get(f"/summaries/coverage?quarter={quarter}").status_code == 200
    assert client.get(f"/accounts/acme-corp/summaries?quarter={quarter}").status_code == 200
    response = client.post("/accounts/acme-corp/summaries/generate",
                           data={"quarter": quarter, "variant": "stakeholder"})
    assert response.status_code == 302 and "/jobs/" not in response.headers["Location"]
    response = client.post("/accounts/acme-corp/summaries/generate",
                           data={"quarter": Q, "variant": "internal", "send": "y"})
    assert "/jobs/" not in response.headers["Location"]


def test_coverage_page_scoped_to_user(app: Flask, session: Session, cast: object,
                                      login_as: object) -> None:
    c = cast  # type: ignore[assignment]
    page = login_as(c.am1).get(f"/summaries/coverage?quarter={Q}").get_data(as_text=True)
    assert "Acme Corp" in page and "Globex" not in page and "Carol Buyer" in page
    assert ">Generate all</button>" not in page and f">Send all {Q} summaries" not in page
    page = login_as(c.leader).get(f"/summaries/coverage?quarter={Q}").get_data(as_text=True)
    assert "Acme Corp" in page and "Globex" in page and ">Generate all</button>" in page
    assert f">Send all {Q} summaries</button>" in page


def _coverage_accounts(client: object, page: str = "1", below: str = "") -> list[str]:
    """The account names in the "By account" table of one coverage page."""
    html = client.get(f"/summaries/coverage?quarter={Q}&page={page}&below={below}")  # type: ignore
    table = html.get_data(as_text=True).split("data-coverage-accounts", 1)[1].split("</table>")[0]
    return re.findall(r'quarter=2026-Q3">([^<]+)</a>', table)


def _coverage_rows(html: str) -> list[tuple[str, str]]:
    """(state, name) of each row of the key stakeholders table."""
    table = html.split("data-coverage-rows", 1)[1].split("</table>")[0]
    return re.findall(r'<tr data-state="(\w+)"><td>([^<]+?)(?: <span|</td>)', table)


def _links(html: str, text: str) -> list[dict[str, list[str]]]:
    """The query arguments of the links named `text`."""
    return [parse_qs(urlsplit(unescape(href)).query)
            for href in re.findall(rf'href="([^"]+)">{re.escape(text)}</a>', html)]


@pytest.fixture
def many_accounts(session: Session, cast: object) -> None:
    """30 accounts before Acme Corp by name, 2 key stakeholders each; every third is
    am1's and has one opted out."""
    c = cast  # type: ignore[assignment]
    for i in range(30):
        account = make_account(session, f"Account {i:02}", owner=c.am1 if i % 3 == 0 else c.am2)
        make_stakeholder(session, account, f"Person {i:02}-a", is_key=True)
        make_stakeholder(session, account, f"Person {i:02}-b", is_key=True,
                         opted_out_at=datetime(2026, 1, 1, tzinfo=UTC) if i % 3 == 0 else None)
    session.commit()


def test_coverage_pages_keep_the_quarter(app: Flask, cast: object, login_as: object,
                                         many_accounts: None) -> None:
    client = login_as(cast.admin)  # type: ignore[attr-defined,operator]
    # 32 accounts by name, 25 a page: page 2 holds the last 7.
    assert _coverage_accounts(client) == [f"Account {i:02}" for i in range(25)]
    assert _coverage_accounts(client, "2") == [
        *(f"Account {i:02}" for i in range(25, 30)), "Acme Corp", "Globex"]
    assert _coverage_accounts(client, "99")[-1] == "Globex"  # past the end: the last page
    # 62 key stakeholders, 50 a page: rows page 2 holds the last 12.
    html = client.get(f"/summaries/coverage?quarter={Q}&rows_page=2").get_data(as_text=True)
    assert [name for _state, name in _coverage_rows(html)] == [
        *(f"Person {i:02}-{x}" for i in range(25, 30) for x in "ab"),
        "Carol Buyer", "Dan Champion"]
    previous = _links(html, "Previous")
    assert len(previous) == 2 and all(args["quarter"] == [Q] for args in previous)
    assert {"rows_page": ["1"], "quarter": [Q]} in previous
    # Moving the accounts table keeps the rows table where it is.
    assert {"page": ["2"], "rows_page": ["2"], "quarter": [Q]} in _links(html, "Next")


def test_coverage_state_and_below_filters(app: Flask, cast: object, login_as: object,
                                          many_accounts: None) -> None:
    client = login_as(cast.admin)  # type: ignore[attr-defined,operator]
    html = client.get(f"/summaries/coverage?quarter={Q}&state=skipped").get_data(as_text=True)
    rows = _coverage_rows(html)
    assert rows == [("skipped", f"Person {i:02}-b") for i in range(0, 30, 3)]
    assert 'All (62)' in html and 'Skipped (10)' in html and 'Missing (52)' in html
    assert {"quarter": [Q], "state": ["missing"]} in _links(html, "Missing (52)")
    html = client.get(f"/summaries/coverage?quarter={Q}&state=missing").get_data(as_text=True)
    assert {state for state, _name in _coverage_rows(html)} == {"missing"}
    html = client.get(f"/summaries/coverage?quarter={Q}&state=nonsense").get_data(as_text=True)
    assert len(_coverage_rows(html)) == 50
    # Nothing was sent: every account is below 100%.
    assert len(_coverage_accounts(client, below="1")) == 25
    assert _coverage_accounts(client, "2", below="1")[-1] == "Globex"


def test_coverage_filters_stay_in_the_managers_accounts(
        app: Flask, cast: object, login_as: object, many_accounts: None) -> None:
    c = cast  # type: ignore[assignment]
    client = login_as(c.am1)  # type: ignore[operator]
    mine = [f"Account {i:02}" for i in range(0, 30, 3)]
    assert _coverage_accounts(client, below="1") == [*mine, "Acme Corp"]
    for state, names in [("", [f"Person {int(a[-2:]):02}-{x}" for a in mine for x in "ab"]
                          + ["Carol Buyer"]),
                         ("skipped", [f"Person {int(a[-2:]):02}-b" for a in mine]),
                         ("missing", [f"Person {int(a[-2:]):02}-a" for a in mine]
                          + ["Carol Buyer"])]:
        html = client.get(f"/summaries/coverage?quarter={Q}&state={state}")
        assert [n for _s, n in _coverage_rows(html.get_data(as_text=True))] == names
    html = client.get(f"/summaries/coverage?quarter={Q}").get_data(as_text=True)
    assert "Portfolio: 0 of 11 key stakeholders" in page_text(html) and "Globex" not in html


def test_coverage_queries_do_not_grow_with_rows(app: Flask, session: Session, cast: object,
                                                login_as: object) -> None:
    client = login_as(cast.admin)  # type: ignore[attr-defined,operator]
    urls = [f"/summaries/coverage?quarter={Q}",
            f"/summaries/coverage?quarter={Q}&below=1&state=missing&page=2&rows_page=2"]

    # Without the menu's: they are read once, then kept until the menu's tables change.
    few = [len(get_statements(app, client, url, without_menu=True)) for url in urls]
    for i in range(60):
        account = make_account(session, f"Bulk {i:02}")
        for j in range(3):
            make_stakeholder(session, account, f"Person {i:02}-{j}", is_key=True)
    session.commit()
    assert [len(get_statements(app, client, url, without_menu=True)) for url in urls] == few


def test_preview_with_a_huge_stakeholder_id_is_404(app: Flask, cast: object,
                                                   login_as: object) -> None:
    """QA: ?stakeholder=<20 digits> overflowed the driver (500)."""
    client = login_as(cast.admin)  # type: ignore[attr-defined,operator]
    response = client.get("/accounts/acme-corp/summaries/preview"
                          "?stakeholder=99999999999999999999")
    assert response.status_code == 404
