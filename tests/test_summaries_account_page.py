"""An account's summaries page: one quarter box, the current quarter by default (as the
account page), Generate and Send acting on the quarter shown; the finished job's page links
to what it produced. Forms are submitted as the pages render them."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

from flask import Flask
from sqlmodel import Session, select

from valuetracker.models import Distribution, Job, ValueSummary
from valuetracker.quarters import current_quarter

from .conftest import Inbox
from .factories import make_account, make_stakeholder
from .rendered import page_html, posting_to


def _quarter_boxes(html: str) -> list[str]:
    """The quarter inputs a person can type in (not hidden)."""
    return [tag for tag in re.findall(r"<input[^>]*>", html)
            if 'name="quarter"' in tag and 'type="hidden"' not in tag]


def _links(html: str) -> dict[str, str]:
    """{link text: href} of the page."""
    return {" ".join(unescape(re.sub(r"<[^>]+>", "", text)).split()): unescape(href)
            for href, text in re.findall(r'<a[^>]*href="([^"]+)"[^>]*>(.*?)</a>', html, re.S)}


def test_one_quarter_box_and_the_current_quarter_by_default(app: Flask, cast: Any,
                                                            login_as: Any) -> None:
    client = login_as(cast.am1)
    with app.app_context():
        current = current_quarter(int(app.config["FISCAL_YEAR_START_MONTH"])).label
    html = page_html(client, "/accounts/acme-corp/summaries")
    assert f"<h1>Summaries {current} · Acme Corp</h1>" in html
    assert len(_quarter_boxes(html)) == 1 and f'value="{current}"' in _quarter_boxes(html)[0]
    generate = posting_to(html, "/accounts/acme-corp/summaries/generate")
    send = posting_to(html, "/accounts/acme-corp/summaries/send")
    assert generate.value("quarter") == send.value("quarter") == current
    # The account page shows the same quarter in its summaries panel, and links to it.
    account = client.get("/accounts/acme-corp").get_data(as_text=True)
    assert f"Value summaries {current}" in account
    assert _links(account)["All summaries"] == f"/accounts/acme-corp/summaries?quarter={current}"


def test_generate_and_send_act_on_the_quarter_shown(smtp: Inbox, app: Flask, session: Session,
                                                   cast: Any, login_as: Any) -> None:
    client = login_as(cast.am1)
    html = page_html(client, "/accounts/acme-corp/summaries?quarter=2026q2")
    assert "<h1>Summaries 2026-Q2 · Acme Corp</h1>" in html
    generate = posting_to(html, "/accounts/acme-corp/summaries/generate")
    response = client.post(generate.action, data=generate.data(), follow_redirects=True)
    assert "Summaries for Acme Corp 2026-Q2: 1 item queued." in response.get_data(as_text=True)
    assert [s.quarter for s in session.exec(select(ValueSummary)).all()] == ["2026-Q2"]
    assert smtp.messages == []  # generated, not sent

    html = page_html(client, "/accounts/acme-corp/summaries?quarter=2026-Q2")
    send = posting_to(html, "/accounts/acme-corp/summaries/send")
    assert client.post(send.action, data=send.data()).status_code == 302
    assert [r for rcpts, _m in smtp.messages for r in rcpts] == [cast.stakeholder1.email]
    row = session.exec(select(ValueSummary.quarter, Distribution.status).join(Distribution)).one()
    assert tuple(row) == ("2026-Q2", "sent")
    html = page_html(client, "/accounts/acme-corp/summaries?quarter=2026-Q2")
    assert 'data-coverage-account>100%' in html
    # The next quarter is untouched.
    html = page_html(client, "/accounts/acme-corp/summaries?quarter=2026-Q3")
    assert 'data-coverage-account>0%' in html


def test_the_finished_job_links_to_what_it_produced(app: Flask, session: Session, cast: Any,
                                                    login_as: Any) -> None:
    client = login_as(cast.am1)
    html = page_html(client, "/accounts/acme-corp/summaries?quarter=2026-Q2")
    generate = posting_to(html, "/accounts/acme-corp/summaries/generate")
    job_url = client.post(generate.action, data=generate.data()).location
    html = client.get(job_url).get_data(as_text=True)
    links = _links(html.split("data-job-produced>", 1)[1].split("</ul>", 1)[0])
    assert links == {
        "Summaries 2026-Q2 · Acme Corp": "/accounts/acme-corp/summaries?quarter=2026-Q2",
        "Coverage 2026-Q2": "/summaries/coverage?quarter=2026-Q2"}
    for href in links.values():
        page = client.get(href).get_data(as_text=True)
        assert "2026-Q2" in page.split("<h1>", 1)[1].split("</h1>", 1)[0]


def test_a_failed_job_links_to_its_failed_items(app: Flask, session: Session, cast: Any,
                                                login_as: Any) -> None:
    # A file where the account's folder must go makes its item fail.
    reports = Path(app.config["REPORTS_DIR"])
    (reports / "2026-Q2").mkdir(parents=True)
    (reports / "2026-Q2" / "acme-corp").write_text("in the way")
    client = login_as(cast.am1)
    html = page_html(client, "/accounts/acme-corp/summaries?quarter=2026-Q2")
    generate = posting_to(html, "/accounts/acme-corp/summaries/generate")
    job_url = client.post(generate.action, data=generate.data()).location
    html = client.get(job_url).get_data(as_text=True)
    assert session.exec(select(Job.status)).one() == "failed"
    assert _links(html)["1 failed item"] == "#failed-items"
    assert 'id="failed-items"' in html
    failed = html.split("data-failed-items>", 1)[1].split("</table>", 1)[0]
    assert _links(failed) == {"Acme Corp": "/accounts/acme-corp/summaries?quarter=2026-Q2"}


def test_a_portfolio_job_links_to_coverage_not_to_every_account(
        app: Flask, session: Session, cast: Any, login_as: Any) -> None:
    from datetime import UTC, datetime

    for i in range(21):  # active accounts whose one key stakeholder opted out: no PDF
        make_stakeholder(session, make_account(session, f"Bulk {i:02}"), f"Key {i:02}",
                         is_key=True, opted_out_at=datetime(2026, 1, 1, tzinfo=UTC))
    session.commit()
    admin = login_as(cast.admin)
    html = page_html(admin, "/summaries/coverage?quarter=2026-Q2")
    generate = posting_to(html, "/summaries/generate")
    job_url = admin.post(generate.action, data=generate.data()).location
    html = admin.get(job_url).get_data(as_text=True)
    produced = html.split("data-job-produced>", 1)[1].split("</ul>", 1)[0]
    assert _links(produced) == {"Coverage 2026-Q2": "/summaries/coverage?quarter=2026-Q2"}
    assert "every account of the batch" in produced
