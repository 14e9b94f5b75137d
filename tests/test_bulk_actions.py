"""Bulk actions on the lists (views/_bulk.py, valuetracker/bulk): every button posted as
the page renders it, the confirmation step, refusals (nothing written), the job path
with progress, and the departing colleague's accounts handed on in one action."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlmodel import Session, select

from valuetracker.bulk import ACCOUNTS, create_bulk_job, run_bulk_job
from valuetracker.models import (
    AccessLink,
    Account,
    AccountMember,
    AuditEvent,
    Deal,
    Job,
    Stakeholder,
    utcnow,
)

from .conftest import sql_statements
from .factories import make_account, make_deal, make_entry, make_stakeholder, make_user
from .rendered import page_html, page_text, rendered_forms


def _bulk_form(html: str) -> Any:
    forms = [f for f in rendered_forms(html) if f.method == "post" and "all_matching" in f.names]
    assert len(forms) == 1
    return forms[0]


def _ids_on_page(html: str) -> list[str]:
    """The row checkboxes of the bulk form (inputs outside it, tied by form=)."""
    import re

    return re.findall(r'<input[^>]*type="checkbox" name="ids" value="(\d+)" form="bulk-form"',
                      html)


def _confirm_form(html: str) -> Any:
    forms = [f for f in rendered_forms(html) if f.method == "post" and "confirmed" in f.names]
    assert len(forms) == 1, len(forms)
    return forms[0]


def _audits(session: Session, entity: str, action: str) -> int:
    session.expire_all()
    return session.exec(select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.entity == entity, AuditEvent.action == action)).one()


def _owners(session: Session, ids: list[int]) -> set[int | None]:
    session.expire_all()
    return set(session.exec(select(Account.owner_id).where(Account.id.in_(ids))).all())


def test_departing_colleagues_40_accounts_reassigned_in_one_action(
        app: Flask, session: Session, cast: Any, login_as: Any) -> None:
    """am1 is on the team of 40 accounts of Dee, who leaves: once Dee's user is
    deactivated, am1 hands all 40 to Erin with "all 40 matching this filter"."""
    dee = make_user(session, "account_manager", name="Dee Departing")
    erin = make_user(session, "account_manager", name="Erin Newowner")
    theirs = [make_account(session, f"Dee {n:02}", owner=dee, members=(cast.am1,))
              for n in range(40)]
    session.commit()
    ids = [a.id for a in theirs]
    client = login_as(cast.am1)
    url = f"/accounts?owner={dee.id}"

    def start() -> str:
        form = _bulk_form(page_html(client, url))
        assert form.action == f"/accounts?owner={dee.id}&sort=name"
        answer = client.post(form.action, data=form.data(
            action="reassign_owner", owner_id=str(erin.id), all_matching="y"))
        assert answer.status_code == 200
        return answer.get_data(as_text=True)

    # While Dee is active, only Dee (the owner), leaders and admins choose the owner.
    html = start()
    assert "40 of 40 accounts refused" in page_text(html)
    assert "you may not choose its owner" in html
    assert not [f for f in rendered_forms(html) if "confirmed" in f.names]
    assert _owners(session, ids) == {dee.id}

    dee.active = False
    session.add(dee)
    session.commit()
    html = start()
    text = page_text(html)
    assert "Reassign owner: 40 accounts" in text
    assert "owner becomes Erin Newowner, on 40 accounts" in text
    confirm = _confirm_form(html)
    assert sorted(int(v) for n, v in confirm.fields if n == "ids") == sorted(ids)
    answer = client.post(confirm.action, data=confirm.data())
    # More than a page (25): one job, run at once here (HUEY_IMMEDIATE).
    assert answer.status_code == 302 and "/jobs/" in answer.headers["Location"]
    job = session.exec(select(Job).where(Job.kind == "bulk")).one()
    assert (job.status, job.done, job.total, job.result["changed"]) == ("done", 40, 40, 40)
    assert _owners(session, ids) == {erin.id}
    assert _audits(session, "account", "update") == 40
    job_page = page_text(page_html(client, answer.headers["Location"]))
    assert "Finished: 40 of 40 done" in job_page and "Changed 40" in job_page
    # am1 stays on the team; Erin, the owner, is not also a member.
    assert session.exec(select(sa.func.count()).select_from(AccountMember).where(
        AccountMember.user_id == cast.am1.id, AccountMember.account_id.in_(ids))).one() == 40


def test_refused_rows_are_named_and_the_rest_can_go_on(session: Session, cast: Any,
                                                       login_as: Any) -> None:
    """am1 owns account1 and is a member of Initech (am2's, active): reassigning both is
    refused as a whole; "for the other 1" reassigns account1 only."""
    initech = make_account(session, "Initech", owner=cast.am2, members=(cast.am1,))
    erin = make_user(session, "account_manager", name="Erin Newowner")
    session.commit()
    client = login_as(cast.am1)
    html = page_html(client, "/accounts")
    form = _bulk_form(html)
    assert sorted(_ids_on_page(html)) == sorted([str(cast.account1.id), str(initech.id)])
    answer = client.post(form.action, data=form.data(
        action="reassign_owner", owner_id=str(erin.id),
        ids=[str(cast.account1.id), str(initech.id), str(cast.account2.id)]))
    text = page_text(answer.get_data(as_text=True))
    assert "Nothing will be changed as selected: 2 of 3 accounts refused" in text
    assert "Initech: you may not choose its owner" in text
    assert f"#{cast.account2.id}: not found, or not one you may see" in text  # not revealed
    # The refusal page still says what the others would get.
    assert "What would change: owner becomes Erin Newowner, on 1 account." in text
    assert _owners(session, [cast.account1.id, initech.id]) == {cast.am1.id, cast.am2.id}
    confirm = _confirm_form(answer.get_data(as_text=True))
    assert [v for n, v in confirm.fields if n == "ids"] == [str(cast.account1.id)]
    done = client.post(confirm.action, data=confirm.data())
    assert done.status_code == 302
    assert _owners(session, [cast.account1.id]) == {erin.id}
    assert _owners(session, [initech.id]) == {cast.am2.id}
    assert "Reassign owner: 1 account changed (owner becomes Erin Newowner)" in page_text(
        page_html(client, done.headers["Location"]))


def test_refused_with_the_rest_already_so_offers_no_button(session: Session, cast: Any,
                                                          login_as: Any) -> None:
    """Initech is refused and account1 already has am1 as owner: the page says so and has
    no "for the other 1" button, which would change nothing."""
    initech = make_account(session, "Initech", owner=cast.am2, members=(cast.am1,))
    session.commit()
    client = login_as(cast.am1)
    form = _bulk_form(page_html(client, "/accounts"))
    answer = client.post(form.action, data=form.data(
        action="reassign_owner", owner_id=str(cast.am1.id),
        ids=[str(cast.account1.id), str(initech.id)]))
    html = answer.get_data(as_text=True)
    text = page_text(html)
    assert "1 of 2 accounts refused" in text
    assert "on 0 accounts. 1 account already so (left as they are)." in text
    assert not [f for f in rendered_forms(html) if f.method == "post" and "confirmed" in f.names]
    assert "Back to the list" in text


def test_refusal_found_at_the_confirmation_writes_nothing(session: Session, cast: Any,
                                                          login_as: Any) -> None:
    """A selection that became refused after the confirmation page (here: am1 left the
    team of one account meanwhile) is not done at all: 409 with the refusal."""
    other = make_account(session, "Other", owner=cast.am1)
    session.commit()
    client = login_as(cast.am1)
    form = _bulk_form(page_html(client, "/accounts"))
    html = client.post(form.action, data=form.data(
        action="archive", ids=[str(cast.account1.id), str(other.id)])).get_data(as_text=True)
    assert "status becomes archived" in page_text(html)
    confirm = _confirm_form(html)
    other.owner_id = cast.am2.id
    session.add(other)
    session.commit()
    answer = client.post(confirm.action, data=confirm.data())
    assert answer.status_code == 409
    assert "1 of 2 accounts refused" in page_text(answer.get_data(as_text=True))
    session.expire_all()
    assert {a.status for a in session.exec(select(Account).where(
        Account.id.in_([cast.account1.id, other.id])))} == {"active"}
    assert _audits(session, "account", "archive") == 0


def test_archive_and_leader_reassign(session: Session, cast: Any, login_as: Any) -> None:
    client = login_as(cast.am1)
    form = _bulk_form(page_html(client, "/accounts"))
    confirm = _confirm_form(client.post(form.action, data=form.data(
        action="archive", ids=[str(cast.account1.id)])).get_data(as_text=True))
    assert client.post(confirm.action, data=confirm.data()).status_code == 302
    session.expire_all()
    assert session.get(Account, cast.account1.id).status == "archived"
    assert _audits(session, "account", "archive") == 1
    # A leader may not archive (the button is not offered) but reassigns any owner.
    leader = login_as(cast.leader)
    html = page_html(leader, "/accounts")
    form = _bulk_form(html)
    assert 'value="archive"' not in html and 'value="reassign_owner"' in html
    confirm = _confirm_form(leader.post(form.action, data=form.data(
        action="reassign_owner", owner_id=str(cast.am1.id),
        ids=[str(cast.account2.id)])).get_data(as_text=True))
    assert leader.post(confirm.action, data=confirm.data()).status_code == 302
    assert _owners(session, [cast.account2.id]) == {cast.am1.id}
    # A hand-made "archive" is not one of the leader's actions: nothing happens.
    data = form.data(ids=[str(cast.account2.id)])
    data["action"] = "archive"
    answer = leader.post(form.action, data=data)
    assert answer.status_code == 302
    assert session.get(Account, cast.account2.id).status == "active"


def test_analyst_and_leader_have_no_people_actions(cast: Any, login_as: Any) -> None:
    for user in (cast.analyst, cast.leader):
        client = login_as(user)
        assert "bulk-form" not in page_html(client, "/stakeholders")
        assert client.post("/stakeholders", data={"action": "mark_key"}).status_code == 403
    assert login_as(cast.analyst).post("/accounts", data={}).status_code == 403


def test_mark_key_and_not_key(session: Session, cast: Any, login_as: Any) -> None:
    people = [make_stakeholder(session, cast.account1, f"P{n}") for n in range(3)]
    session.commit()
    client = login_as(cast.am1)
    html = page_html(client, "/stakeholders?key=no")
    form = _bulk_form(html)
    picked = [str(p.id) for p in people[:2]]
    confirm = _confirm_form(client.post(form.action, data=form.data(
        action="mark_key", ids=picked)).get_data(as_text=True))
    assert client.post(confirm.action, data=confirm.data()).status_code == 302
    session.expire_all()
    assert [session.get(Stakeholder, p.id).is_key for p in people] == [True, True, False]
    assert _audits(session, "stakeholder", "flag") == 2
    # Mark not key: the one already not key is left as it is.
    form = _bulk_form(page_html(client, "/stakeholders"))
    html = client.post(form.action, data=form.data(
        action="unmark_key", ids=[str(p.id) for p in people])).get_data(as_text=True)
    assert "1 person already so" in page_text(html)
    confirm = _confirm_form(html)
    assert client.post(confirm.action, data=confirm.data()).status_code == 302
    session.expire_all()
    assert [session.get(Stakeholder, p.id).is_key for p in people] == [False, False, False]


def test_requests_respect_reachability(app: Flask, session: Session, cast: Any,
                                       login_as: Any) -> None:
    """Opted-out and departed people are refused with their reason; nobody is mailed.
    Without them, each reachable person gets their own confirmation link."""
    gone = make_stakeholder(session, cast.account1, "Gone Person", left_company_at=utcnow())
    out = make_stakeholder(session, cast.account1, "Out Person", opted_out_at=utcnow())
    ok = make_stakeholder(session, cast.account1, "Reachable Person")
    make_entry(session, cast.account1, beneficiaries=(ok, cast.stakeholder1))
    session.commit()
    client = login_as(cast.am1)
    form = _bulk_form(page_html(client, "/stakeholders"))
    chosen = [str(p.id) for p in (gone, out, ok, cast.stakeholder1)]
    html = client.post(form.action, data=form.data(
        action="request_confirmation", ids=chosen)).get_data(as_text=True)
    text = page_text(html)
    assert "2 of 4 people refused" in text
    assert "Gone Person (Acme Corp): left the company" in text
    assert "Out Person (Acme Corp): opted out" in text
    outbox = Path(app.config["OUTBOX_DIR"])
    assert not list(outbox.glob("*.eml")) if outbox.exists() else True
    confirm = _confirm_form(html)
    done = client.post(confirm.action, data=confirm.data())
    assert done.status_code == 302
    assert "Request confirmation: 2 people e-mailed (each is e-mailed a link" in page_text(
        page_html(client, done.headers["Location"]))
    session.expire_all()
    links = session.exec(select(AccessLink).where(AccessLink.purpose == "confirm_value")).all()
    assert sorted(link.stakeholder_id for link in links) == sorted([ok.id,
                                                                    cast.stakeholder1.id])
    assert len(list(outbox.glob("*.eml"))) == 2
    assert _audits(session, "access_link", "create") == 2
    # A pulse to someone with nothing to confirm is fine; a confirmation is refused.
    lonely = make_stakeholder(session, cast.account1, "No Value Person")
    session.commit()
    form = _bulk_form(page_html(client, "/stakeholders"))
    text = page_text(client.post(form.action, data=form.data(
        action="request_confirmation", ids=[str(lonely.id)])).get_data(as_text=True))
    assert "no value to confirm for them" in text
    html = client.post(form.action, data=form.data(
        action="request_pulse", ids=[str(lonely.id)])).get_data(as_text=True)
    confirm = _confirm_form(html)
    assert client.post(confirm.action, data=confirm.data()).status_code == 302
    assert session.exec(select(AccessLink).where(AccessLink.purpose == "pulse",
                                                 AccessLink.stakeholder_id == lonely.id)).one()


def test_deals_reassign_owner(session: Session, cast: Any, login_as: Any) -> None:
    deals = [make_deal(session, cast.account1, owner_id=cast.am1.id) for _ in range(3)]
    session.commit()
    for user, old, new_owner in ((cast.analyst, cast.am1, cast.am2),
                                 (cast.leader, cast.am2, cast.admin)):
        client = login_as(user)
        html = page_html(client, f"/deals?owner={old.id}")
        form = _bulk_form(html)
        confirm = _confirm_form(client.post(form.action, data=form.data(
            action="reassign_owner", owner_id=str(new_owner.id), all_matching="y"))
            .get_data(as_text=True))
        assert client.post(confirm.action, data=confirm.data()).status_code == 302
        session.expire_all()
        assert {session.get(Deal, d.id).owner_id for d in deals} == {new_owner.id}
    assert _audits(session, "deal", "update") == 6


def test_the_job_checks_with_progress_then_writes_once(app: Flask, session: Session,
                                                       cast: Any) -> None:
    """The job records its progress after each chunk of the check (its own short
    transactions), then writes every change and its "done" in one transaction."""
    many = [make_account(session, f"Many {n:02}", owner=cast.am1) for n in range(30)]
    session.commit()
    job = create_bulk_job(session, user=cast.admin, bulk_list=ACCOUNTS,
                          action=ACCOUNTS.action("reassign_owner"),
                          ids=[a.id for a in many], value=cast.am2.id,
                          change="owner becomes Bob Manager", back="/accounts")
    session.commit()
    engine = app.extensions["valuetracker.engine"]
    with sql_statements(engine) as statements:
        run_bulk_job(engine, job.id, size=10)
    progress = [s for s in statements if s.startswith("UPDATE job")]
    assert len(progress) >= 3 + 2  # running, three chunks checked, writing, done
    session.expire_all()
    job = session.get(Job, job.id)
    assert (job.status, job.done, job.result["changed"]) == ("done", 30, 30)
    assert _owners(session, [a.id for a in many]) == {cast.am2.id}


def test_a_refused_job_writes_nothing(app: Flask, session: Session, cast: Any,
                                      login_as: Any) -> None:
    many = [make_account(session, f"Many {n:02}", owner=cast.am1) for n in range(30)]
    session.commit()
    ids = [a.id for a in many] + [cast.account2.id]  # am2's: not am1's to see
    job = create_bulk_job(session, user=cast.am1, bulk_list=ACCOUNTS,
                          action=ACCOUNTS.action("archive"), ids=ids, value=None,
                          change="archived", back="/accounts")
    session.commit()
    run_bulk_job(app.extensions["valuetracker.engine"], job.id, size=10)
    session.expire_all()
    job = session.get(Job, job.id)
    assert job.status == "failed" and job.result["refused_count"] == 1
    assert "Nothing was changed: 1 of 31 accounts refused" in job.error
    assert _audits(session, "account", "archive") == 0
    page = page_text(page_html(login_as(cast.am1), f"/jobs/{job.id}"))
    assert "Refused (1)" in page and f"#{cast.account2.id}: not found" in page
    assert "Nothing was changed" in page
