"""One scope for coverage and generation (summaries/scope.py): the coverage page, "Generate
all", "Send all" and the job page agree on who is in the quarter's send, name everyone
else with why, and 100% coverage is reachable. Forms are submitted as the pages render
them; mail goes through a real SMTP server on loopback."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlmodel import Session, select

from valuetracker.models import Account, Distribution, Job, Stakeholder, ValueSummary
from valuetracker.quarters import parse_quarter
from valuetracker.summaries.coverage import coverage_rows, portfolio_coverage
from valuetracker.summaries.generate import plan_batch
from valuetracker.summaries.scope import in_send_condition, stakeholder_exclusion

from .conftest import Inbox
from .factories import make_account, make_stakeholder
from .rendered import page_html, page_text, posting_to, rendered_forms

Q = "2026-Q3"
OPTED_OUT_ON = datetime(2026, 10, 2, 9, 30, tzinfo=UTC)
LEFT_ON = datetime(2026, 9, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def world(session: Session, cast: Any) -> dict[str, Any]:
    """Acme (active) with one key stakeholder in the send and one of each exclusion;
    Globex (active) with one in the send; a churned, a prospect and an archived account
    with key stakeholders."""
    acme = cast.account1
    people = {
        "grace": make_stakeholder(session, acme, "Grace Hopper", is_key=True,
                                  opted_out_at=OPTED_OUT_ON),
        "lee": make_stakeholder(session, acme, "Lee Left", is_key=True, left_company_at=LEFT_ON),
        "nora": make_stakeholder(session, acme, "Nora Nomail", is_key=True, email=None),
        "erin": make_stakeholder(session, acme, "Erin Erased", is_key=True, erased_at=LEFT_ON,
                                 email=None),
        "plain": make_stakeholder(session, acme, "Pat Plain"),  # not key
    }
    trey = make_account(session, "Trey Research", status="churned")
    for name in ("Tom Trey", "Tina Trey", "Ted Trey"):
        make_stakeholder(session, trey, name, is_key=True)
    make_stakeholder(session, trey, "Nick Notkey")
    proseware = make_account(session, "Proseware Studio", status="prospect")
    make_stakeholder(session, proseware, "Paula Prospect", is_key=True)
    archived = make_account(session, "Archived Co", status="archived")
    make_stakeholder(session, archived, "Arnie Archived", is_key=True)
    session.commit()
    return {"in_send": {cast.stakeholder1.email, cast.stakeholder2.email}, **people}


def _section(html: str, marker: str) -> str:
    return page_text(html.split(marker, 1)[1].split("</ul>", 1)[0])


def _coverage_people(html: str) -> dict[str, tuple[str, str]]:
    """{name: (state, why)} of a key stakeholders table (the coverage page's or an
    account's summaries page's): "why" is the row's first small cell."""
    table = html.split("data-coverage-rows", 1)[1].split("</table>")[0]
    rows = re.findall(r'<tr data-state="(\w+)"><td>([^<]+?)(?: <span|</td>)(.*?)</tr>',
                      table, re.S)
    result = {}
    for state, name, rest in rows:
        why = re.findall(r'<td class="small">(.*?)</td>', rest, re.S)[0]
        result[name] = (state, page_text(why))
    return result


def test_the_rule_and_its_sql_agree_on_every_combination(app: Flask, session: Session,
                                                         cast: Any) -> None:
    """`send_exclusion` (one person) and `in_send_condition` (SQL) pick the same people."""
    accounts = {status: make_account(session, f"Status {status}", status=status)
                for status in ("active", "prospect", "churned", "archived")}
    for n, (status, key, erased, left, opted_out, email) in enumerate(itertools.product(
            accounts, *[(False, True)] * 5)):
        make_stakeholder(session, accounts[status], f"P{n}", is_key=key,
                         erased_at=LEFT_ON if erased else None,
                         left_company_at=LEFT_ON if left else None,
                         opted_out_at=OPTED_OUT_ON if opted_out else None,
                         email=f"p{n}@example.com" if email else None)
    session.commit()
    in_sql = set(session.exec(select(Stakeholder.id).join(Account).where(
        Account.id.in_([a.id for a in accounts.values()]), in_send_condition())).all())
    people = session.exec(select(Stakeholder, Account).join(Account).where(
        Account.id.in_([a.id for a in accounts.values()]))).all()
    assert len(people) == 4 * 32
    in_rule = {s.id for s, a in people if stakeholder_exclusion(s, a) is None}
    assert in_sql == in_rule and len(in_rule) == 1  # active, key, reachable, with an address
    reasons = {stakeholder_exclusion(s, a) for s, a in people}
    assert reasons == {None, "not a key stakeholder", "account prospect", "account churned",
                       "account archived", "erased", "left the company", "opted out",
                       "no email address"}


def test_coverage_and_generate_all_are_the_same_people(smtp: Inbox, app: Flask,
                                                       session: Session, cast: Any,
                                                       world: dict[str, Any],
                                                       login_as: Any) -> None:
    leader = login_as(cast.leader)
    url = f"/summaries/coverage?quarter={Q}"
    html = page_html(leader, url)
    # The page says who is in the send, and names everyone else with why.
    scope = page_text(html.split("data-coverage-scope>", 1)[1].split("</p>", 1)[0])
    assert "key stakeholders of active accounts" in scope
    assert "have an e-mail address" in scope and "Coverage = those of them" in scope
    assert _section(html, "data-not-in-send>").split(" of active accounts")[0].split(
        " not in the send ") == [
        "Archived Co (archived): 1 key stakeholder",
        "Proseware Studio (prospect): 1 key stakeholder",
        "Trey Research (churned): 3 key stakeholders",
        "3 key stakeholders"]
    people = _coverage_people(html)
    assert people == {
        "Carol Buyer": ("missing", "Not generated"),
        "Grace Hopper": ("skipped", "Opted out on 2026-10-02"),
        "Lee Left": ("skipped", "Left the company on 2026-09-15"),
        "Nora Nomail": ("skipped", "No email address"),
        "Dan Champion": ("missing", "Not generated"),
    }
    assert "Portfolio: 0 of 2 key stakeholders" in page_text(html)
    counted = {name for name, (state, _why) in people.items() if state != "skipped"}

    # "Generate all", with sending, as the page renders it.
    generate = posting_to(html, "/summaries/generate")
    assert generate.value("quarter") == Q
    response = leader.post(generate.action, data=generate.data(send="y"))
    assert response.status_code == 302 and "/jobs/" in response.location
    job = session.exec(select(Job)).one()
    names = dict(session.exec(select(Stakeholder.id, Stakeholder.name)).all())
    assert {names[s] for _a, s in job.params["items"]} == counted  # the same people
    assert (job.status, job.done, job.params["quarter"]) == ("done", 2, Q)
    assert sorted(r for rcpts, _m in smtp.messages for r in rcpts) == sorted(world["in_send"])

    # The job page names who was not in the send, as the coverage page does.
    page = leader.get(response.location).get_data(as_text=True)
    assert "Finished: 2 of 2 done, 8 not in the send" in page
    assert _section(page, "data-job-not-in-send>") == (
        "Archived Co (archived): 1 key stakeholder not in the send "
        "Proseware Studio (prospect): 1 key stakeholder not in the send "
        "Trey Research (churned): 3 key stakeholders not in the send "
        "Grace Hopper (Acme Corp): opted out on 2026-10-02 "
        "Lee Left (Acme Corp): left the company on 2026-09-15 "
        "Nora Nomail (Acme Corp): no email address")
    # ... and coverage reached 100%.
    html = page_html(leader, url)
    assert _total(html) == "100%" and "Portfolio: 2 of 2 key stakeholders" in page_text(html)
    totals = portfolio_coverage(session, parse_quarter(Q), sa.true())
    assert (totals.sent, totals.eligible, totals.rate) == (2, 2, 1)


def test_send_all_button_sends_once_to_everyone_in_the_send(
        smtp: Inbox, app: Flask, session: Session, cast: Any, world: dict[str, Any],
        login_as: Any) -> None:
    admin = login_as(cast.admin)
    url = f"/summaries/coverage?quarter={Q}"
    html = page_html(admin, url)
    send_all = posting_to(html, "/summaries/send")
    assert send_all.names == {"quarter"} and send_all.value("quarter") == Q
    response = admin.post(send_all.action, data=send_all.data())
    assert response.status_code == 302 and "/jobs/" in response.location
    assert sorted(r for rcpts, _m in smtp.messages for r in rcpts) == sorted(world["in_send"])
    sent = session.exec(select(ValueSummary.quarter, Distribution.status).join(
        Distribution)).all()
    assert sorted(sent) == [(Q, "sent"), (Q, "sent")]
    # A newcomer, then the same button again: only the newcomer gets one.
    make_stakeholder(session, cast.account2, "Nadia New", is_key=True, email="nadia@globex.example")
    session.commit()
    html = page_html(admin, url)
    send_all = posting_to(html, "/summaries/send")
    assert admin.post(send_all.action, data=send_all.data()).status_code == 302
    assert sorted(r for rcpts, _m in smtp.messages for r in rcpts) == sorted(
        [*world["in_send"], "nadia@globex.example"])
    assert _total(admin.get(url).get_data(as_text=True)) == "100%"
    # An account manager is not shown the portfolio buttons and may not post them.
    manager = login_as(cast.am1)
    html = page_html(manager, url)
    assert not [f for f in rendered_forms(html)
                if f.action in ("/summaries/send", "/summaries/generate")]
    assert manager.post("/summaries/send", data={"quarter": Q}).status_code == 403


def test_a_bad_quarter_on_send_all_is_refused(app: Flask, cast: Any, login_as: Any) -> None:
    admin = login_as(cast.admin)
    html = page_html(admin, f"/summaries/coverage?quarter={Q}")
    send_all = posting_to(html, "/summaries/send")
    response = admin.post(send_all.action, data=send_all.data(quarter="2026-Q9"),
                          follow_redirects=True)
    assert response.status_code == 200 and "Give a quarter like 2026-Q3" in response.get_data(
        as_text=True)
    with Session(app.extensions["valuetracker.engine"]) as session:
        assert session.exec(select(Job)).all() == []


def test_an_account_not_in_the_send(app: Flask, session: Session, cast: Any,
                                    world: dict[str, Any], login_as: Any) -> None:
    """A churned account's summaries page says why nobody there is sent a summary, offers
    only the internal review, and its coverage rows give the reason."""
    admin = login_as(cast.admin)
    html = page_html(admin, f"/accounts/trey-research/summaries?quarter={Q}")
    assert "Trey Research is churned: its key stakeholders are not in the quarterly send" \
        in page_text(html)
    assert not [f for f in rendered_forms(html) if f.action.endswith("/summaries/send")]
    generate = posting_to(html, "/accounts/trey-research/summaries/generate")
    assert generate.value("variant") == "internal" and 'value="stakeholder"' not in html
    assert {name: why for name, (_s, why) in _coverage_people(html).items()} == {
        "Ted Trey": "Account churned", "Tina Trey": "Account churned",
        "Tom Trey": "Account churned"}
    # Its stakeholder variant, posted anyway, plans nobody and says why.
    trey = session.exec(select(Account).where(Account.slug == "trey-research")).one()
    plan = plan_batch(session, [trey.id], "stakeholder")
    assert plan.items == [] and [(a.name, a.key_stakeholders) for a in plan.excluded] == [
        ("Trey Research", 3)]
    rows = coverage_rows(session, parse_quarter(Q), Account.id == trey.id)
    assert {r.state for r in rows} == {"skipped"}


def test_the_export_counts_the_same_people(app: Flask, session: Session, cast: Any,
                                           world: dict[str, Any], tmp_path: Any) -> None:
    """The quarterly export's coverage sheet and figures use the same scope."""
    import openpyxl

    from valuetracker.exports import build_quarter_export

    path = tmp_path / "q.xlsx"
    with app.app_context():
        build_quarter_export(session, quarter=parse_quarter(Q), user=cast.admin, path=path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Stakeholder coverage"]
    header = [c.value for c in ws[1]]
    rows = {r[1]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2,
                                                                           values_only=True)}
    counts = {name for name, row in rows.items() if row["Counts toward coverage"] == "Yes"}
    assert counts == {"Carol Buyer", "Dan Champion"}
    assert rows["Tom Trey"]["Reason"] == "account churned"
    assert rows["Nora Nomail"]["Reason"] == "no email address"
    summary = wb["Summary"]
    header = [c.value for c in summary[1]]
    by_account = {r[0]: dict(zip(header, r, strict=True)) for r in summary.iter_rows(
        min_row=2, values_only=True)}
    assert by_account["Acme Corp"]["Key stakeholders in the send"] == 1
    assert by_account["Trey Research"]["Key stakeholders in the send"] == 0
    assert by_account["Trey Research"]["Coverage"] is None


def _total(html: str) -> str:
    """The coverage page's portfolio rate as shown (the figure is a link to its people)."""
    return page_text(html.split("data-coverage-total>", 1)[1].split("</div>", 1)[0])
