"""The buyer survey mailed by the app from the deal page (real SMTP server), beside the
interview a program rule requested, with its Resend and Withdraw buttons."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, select

from valuetracker.models import AccessLink, AuditEvent, ProgramRule, WinLossInterview, utcnow
from valuetracker.winloss.deals import apply_program_rules

from .factories import make_deal, make_factor, make_guide, make_stakeholder
from .rendered import RenderedForm, page_text, posting_to, rendered_forms

SURVEY_URL = re.compile(r"http://\S+(/s/\S+)")


@pytest.fixture
def requested(session: Session, cast: Any) -> Any:
    """A lost deal for which a program rule requested an interview."""
    make_guide(session, "lost", factor=make_factor(session, "Price"))
    session.add(ProgramRule(name="Every loss", outcome="lost"))
    deal = make_deal(session, cast.account1, "lost", date(2026, 10, 1),
                     name="Acme platform renewal")
    assert apply_program_rules(session, deal) is not None
    session.commit()
    return deal


def survey_form(client: Any, deal: Any) -> RenderedForm:
    page = client.get(f"/deals/{deal.id}")
    assert page.status_code == 200
    return posting_to(page.get_data(as_text=True), f"/deals/{deal.id}/survey",
                  having="stakeholder_id")


def test_the_survey_is_mailed_beside_the_rules_request(smtp: Any, app: Any, session: Session,
                                                       cast: Any, login_as: Any, client: Any,
                                                       requested: Any) -> None:
    analyst = login_as(cast.analyst)
    form = survey_form(analyst, requested)
    response = analyst.post(form.action, data=form.data(stakeholder_id=str(cast.stakeholder1.id)))
    assert response.status_code == 302

    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == [cast.stakeholder1.email]
    assert message["Subject"] == "Acme platform renewal: a few questions about your decision"
    body = message.get_body(("plain",)).get_content()
    assert "Hello Carol Buyer" in body and "on Acme platform renewal" in body
    assert "Alice Manager" in body  # signed by the account manager, whom the buyer knows
    path = SURVEY_URL.search(body).group(1)  # type: ignore[union-attr]
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "access_link")).one()
    assert event.action == "create" and "Carol" not in event.summary

    page = analyst.get(f"/deals/{requested.id}").get_data(as_text=True)
    assert ("Buyer survey emailed to Carol Buyer: a single-use link, and one reminder if they"
            " have not answered in 7 days.") in page
    assert "Buyer surveys waiting for an answer" in page
    assert "Carol Buyer · buyer survey · sent today" in page_text(page)

    # The buyer answers as the public page renders it: the rule's request is completed.
    public = client.get(path).get_data(as_text=True)
    answers = [f for f in rendered_forms(public) if f.method == "post"][0]
    done = client.post(path, data=answers.data(comment="Your price was too high"))
    assert done.status_code == 200 and "Thank you" in done.get_data(as_text=True)
    interviews = session.exec(select(WinLossInterview)).all()
    assert [(i.status, i.channel) for i in interviews] == [("completed", "survey")]
    after = analyst.get(f"/deals/{requested.id}").get_data(as_text=True)
    assert f'action="/deals/{requested.id}/survey"' not in after  # the interview is done
    assert "Buyer surveys waiting for an answer" not in after


def test_resend_and_withdraw_as_rendered(smtp: Any, app: Any, session: Session, cast: Any,
                                         login_as: Any, client: Any, requested: Any) -> None:
    analyst = login_as(cast.analyst)
    form = survey_form(analyst, requested)
    analyst.post(form.action, data=form.data(stakeholder_id=str(cast.stakeholder1.id)))
    first = session.exec(select(AccessLink)).one()
    first_path = SURVEY_URL.search(  # type: ignore[union-attr]
        smtp.messages[0][1].get_body(("plain",)).get_content()).group(1)

    page = analyst.get(f"/deals/{requested.id}").get_data(as_text=True)
    resend = [f for f in rendered_forms(page) if f.action == f"/deals/{requested.id}/survey"
              and f.value("stakeholder_id") == str(cast.stakeholder1.id)]
    assert len(resend) == 1  # the Resend button of Carol's link
    assert analyst.post(resend[0].action, data=resend[0].data()).status_code == 302
    assert len(smtp.messages) == 2
    session.expire_all()
    assert session.get(AccessLink, first.id).revoked_at is not None
    second = session.exec(select(AccessLink).where(AccessLink.revoked_at.is_(None))).one()
    assert client.get(first_path).status_code == 410
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "resend")).one()
    assert event.details == {"replaces": [first.id]}

    page = analyst.get(f"/deals/{requested.id}").get_data(as_text=True)
    withdraw = posting_to(page, f"/deals/{requested.id}/survey-links/{second.id}/withdraw")
    assert analyst.post(withdraw.action, data=withdraw.data()).status_code == 302
    session.expire_all()
    assert session.get(AccessLink, second.id).revoked_at is not None
    assert "Buyer surveys waiting for an answer" not in \
        analyst.get(f"/deals/{requested.id}").get_data(as_text=True)


def test_only_people_who_may_be_mailed_are_offered(smtp: Any, app: Any, session: Session,
                                                   cast: Any, login_as: Any,
                                                   requested: Any) -> None:
    olga = make_stakeholder(session, cast.account1, "Olga Optout")
    session.commit()
    analyst = login_as(cast.analyst)
    form = survey_form(analyst, requested)
    olga.opted_out_at = utcnow()
    session.add(olga)
    session.commit()
    page = analyst.get(f"/deals/{requested.id}").get_data(as_text=True)
    assert "Olga Optout" not in page
    # The form loaded before she opted out no longer sends to her.
    response = analyst.post(form.action, data=form.data(stakeholder_id=str(olga.id)),
                            follow_redirects=True)
    assert "Choose the buyer who should answer" in response.get_data(as_text=True)
    assert smtp.messages == [] and session.exec(select(AccessLink)).all() == []


def test_the_program_runs_it_not_account_managers(smtp: Any, app: Any, session: Session,
                                                  cast: Any, login_as: Any,
                                                  requested: Any) -> None:
    form = survey_form(login_as(cast.analyst), requested)
    am1 = login_as(cast.am1)  # the deal is on am1's account
    page = am1.get(f"/deals/{requested.id}").get_data(as_text=True)
    assert f'action="/deals/{requested.id}/survey"' not in page
    data = form.data(stakeholder_id=str(cast.stakeholder1.id))
    assert am1.post(form.action, data=data).status_code == 403
    assert smtp.messages == [] and session.exec(select(AccessLink)).all() == []


def test_no_survey_after_a_completed_interview(smtp: Any, app: Any, session: Session,
                                              cast: Any, login_as: Any, requested: Any) -> None:
    analyst = login_as(cast.analyst)
    form = survey_form(analyst, requested)
    interview = session.exec(select(WinLossInterview)).one()
    interview.status = "completed"
    session.add(interview)
    session.commit()
    response = analyst.post(form.action, data=form.data(stakeholder_id=str(cast.stakeholder1.id)),
                            follow_redirects=True)
    assert "interview is not done yet" in response.get_data(as_text=True)
    assert smtp.messages == [] and session.exec(select(AccessLink)).all() == []
