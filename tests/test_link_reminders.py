"""Reminders of unanswered links: one mail after LINK_REMINDER_DAYS days, through a real
SMTP server, run by `valuetracker links remind` and by the worker.

Links are dated back (created_at) instead of waiting; the reminder's clock is the real one.
"""

from __future__ import annotations

import re
import signal
from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from valuetracker import links
from valuetracker.models import AccessLink, AuditEvent, User, utcnow

from .conftest import free_port, start_worker, stop_worker, wait_until
from .factories import make_entry, make_stakeholder

LINK_URL = re.compile(r"http://\S+/(?:l/(?:confirm|pulse)|s)/\S+")


def sent_days_ago(app: Any, session: Session, person: Any, days: float, *,
                  purpose: str = "pulse", by: User | None = None, **kw: Any) -> AccessLink:
    """A link to `person` as if mailed `days` days ago (it expires 14 days after that)."""
    with app.app_context():
        link, _token = links.create_link(session, purpose, stakeholder_id=person.id,
                                         account_id=person.account_id,
                                         created_by_id=by.id if by else None, **kw)
    sent = utcnow() - timedelta(days=days)
    link.created_at, link.expires_at = sent, sent + timedelta(days=14)
    session.commit()
    return link


def remind(runner: Any) -> Any:
    """`valuetracker links remind`, in this process."""
    return runner.invoke(args=["links", "remind"])


def reload(session: Session, link: AccessLink) -> AccessLink:
    session.expire_all()
    found = session.get(AccessLink, link.id)
    assert found is not None
    return found


def test_one_reminder_after_the_days_then_never_again(smtp: Any, app: Any, session: Session,
                                                     cast: Any, runner: Any) -> None:
    entry = make_entry(session, cast.account1, beneficiaries=(cast.stakeholder1,))
    link = sent_days_ago(app, session, cast.stakeholder1, 8, purpose="confirm_value",
                         by=cast.am1, payload={"entry_ids": [entry.id]})
    result = remind(runner)
    assert result.exit_code == 0, result.output
    assert "Sent 1 reminder." in result.output
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == [cast.stakeholder1.email]
    assert message["Subject"] == "Reminder: Acme Corp: did we deliver what we think we did?"
    body = message.get_body(("plain",)).get_content()
    assert "A short reminder: we wrote to you on " + link.created_at.strftime("%Y-%m-%d") in body
    assert "1 item that concerns you" in body and "Alice Manager" in body  # signed by its sender
    # The reminder carries the very link first sent, and it still works.
    with app.app_context():
        assert links.link_token(link) in body
    url = LINK_URL.search(body)
    assert url is not None
    assert app.test_client().get(url.group(0).split("127.0.0.1:5000", 1)[1]).status_code == 200
    reminded = reload(session, link)
    assert reminded.reminded_at is not None and reminded.used_at is None
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "remind")).one()
    assert (event.entity, event.entity_id) == ("access_link", str(link.id))

    again = remind(runner)
    assert again.exit_code == 0 and "Sent 0 reminders." in again.output
    assert len(smtp.messages) == 1  # never twice


def test_not_before_the_days_are_up(smtp: Any, app: Any, session: Session, cast: Any,
                                    runner: Any) -> None:
    almost = sent_days_ago(app, session, cast.stakeholder1, 7 - 1 / 24)  # 6 days 23 hours
    fresh = sent_days_ago(app, session, cast.stakeholder2, 0)
    result = remind(runner)
    assert result.exit_code == 0 and "Sent 0 reminders." in result.output
    assert smtp.messages == []
    assert reload(session, almost).reminded_at is None
    # An hour and a minute later by the link's clock, it is due.
    almost.created_at -= timedelta(hours=1, minutes=1)
    session.add(almost)
    session.commit()
    assert "Sent 1 reminder." in remind(runner).output
    assert [to for to, _m in smtp.messages] == [[cast.stakeholder1.email]]
    assert reload(session, fresh).reminded_at is None


def test_the_days_are_a_setting(smtp: Any, app: Any, session: Session, cast: Any,
                                runner: Any) -> None:
    from valuetracker.config import from_environment

    assert from_environment({"VALUETRACKER_LINK_REMINDER_DAYS": "3"}) == \
        {"LINK_REMINDER_DAYS": 3}
    assert app.config["LINK_REMINDER_DAYS"] == 7  # the default
    link = sent_days_ago(app, session, cast.stakeholder1, 3.1)
    assert "Sent 0 reminders." in remind(runner).output
    app.config["LINK_REMINDER_DAYS"] = 0
    assert "Reminders are off" in remind(runner).output
    app.config["LINK_REMINDER_DAYS"] = 3
    assert "Sent 1 reminder." in remind(runner).output
    assert len(smtp.messages) == 1 and reload(session, link).reminded_at is not None


def test_never_to_people_who_may_not_be_mailed(smtp: Any, app: Any, session: Session,
                                              cast: Any, runner: Any) -> None:
    now = utcnow()
    people = {
        "opted out": make_stakeholder(session, cast.account1, "Olga Optout", opted_out_at=now),
        "left the company": make_stakeholder(session, cast.account1, "Lee Left",
                                             left_company_at=now),
        "erased": make_stakeholder(session, cast.account1, "Erased stakeholder #9",
                                   erased_at=now),
        "no e-mail address": make_stakeholder(session, cast.account1, "Nora Nomail",
                                              email=None),
    }
    session.commit()
    sent = {why: sent_days_ago(app, session, person, 9) for why, person in people.items()}
    result = remind(runner)
    assert result.exit_code == 0, result.output
    assert "Sent 0 reminders." in result.output
    assert smtp.messages == []
    for link in sent.values():
        assert reload(session, link).reminded_at is None
    # The one rule's wording, link by link.
    for person in people.values():
        reason = person.contact_block_reason(by_email=True)
        assert reason and f"no reminder, {reason}." in result.output


def test_never_for_used_withdrawn_or_expired_links(smtp: Any, app: Any, session: Session,
                                                  cast: Any, runner: Any) -> None:
    used = sent_days_ago(app, session, cast.stakeholder1, 8)
    withdrawn = sent_days_ago(app, session, cast.stakeholder1, 8)
    expired = sent_days_ago(app, session, cast.stakeholder1, 15)
    used.used_at = withdrawn.revoked_at = utcnow()
    session.add_all([used, withdrawn])
    session.commit()
    result = remind(runner)
    assert result.exit_code == 0 and "Sent 0 reminders." in result.output
    assert smtp.messages == []
    assert all(reload(session, link).reminded_at is None for link in (used, withdrawn, expired))


def test_the_claim_is_won_once(app: Any, session: Session, cast: Any) -> None:
    """Two workers that both found the link due: only the first claim succeeds."""
    link = sent_days_ago(app, session, cast.stakeholder1, 8)
    engine = app.extensions["valuetracker.engine"]
    now = utcnow()
    with Session(engine) as first, Session(engine) as second:
        mine, theirs = first.get(AccessLink, link.id), second.get(AccessLink, link.id)
        assert links.claim_reminder(first, mine, now=now) is True
        first.commit()
        assert links.claim_reminder(second, theirs, now=now) is False  # it saw the link unclaimed
        second.rollback()
    assert reload(session, link).reminded_at == now


def test_a_refused_mail_gives_the_claim_back(smtp: Any, app: Any, session: Session,
                                            cast: Any, runner: Any) -> None:
    link = sent_days_ago(app, session, cast.stakeholder1, 8)
    working_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()  # nobody listens there
    result = remind(runner)
    assert result.exit_code != 0
    assert "refused 1 reminder" in result.output
    assert reload(session, link).reminded_at is None
    app.config["MAIL_PORT"] = working_port
    assert "Sent 1 reminder." in remind(runner).output
    assert len(smtp.messages) == 1


def test_a_survey_reminder_names_the_deal(smtp: Any, app: Any, session: Session, cast: Any,
                                          runner: Any) -> None:
    from .factories import make_deal

    deal = make_deal(session, cast.account1, "lost", name="Acme platform renewal")
    session.commit()
    link = sent_days_ago(app, session, cast.stakeholder1, 8, purpose="buyer_survey",
                         by=cast.analyst, deal_id=deal.id)
    assert "Sent 1 reminder." in remind(runner).output
    _to, message = smtp.messages[0]
    assert message["Subject"] == \
        "Reminder: Acme platform renewal: a few questions about your decision"
    body = message.get_body(("plain",)).get_content()
    # The account manager signs.
    assert "Acme platform renewal" in body and "/s/" in body and "Alice Manager" in body
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "remind")).one()
    assert cast.stakeholder1.name not in event.summary  # the answers may be anonymized
    assert reload(session, link).reminded_at is not None


def test_no_survey_reminder_once_the_interview_is_done(smtp: Any, app: Any, session: Session,
                                                      cast: Any, runner: Any) -> None:
    from .factories import make_deal, make_interview

    deal = make_deal(session, cast.account1, "won")
    make_interview(session, deal, cast.stakeholder1, status="completed")
    session.commit()
    sent_days_ago(app, session, cast.stakeholder1, 8, purpose="buyer_survey", deal_id=deal.id)
    result = remind(runner)
    assert "Sent 0 reminders." in result.output and "interview is done" in result.output
    assert smtp.messages == []


def test_the_worker_sends_reminders_by_itself(smtp: Any, queued_config: dict[str, Any],
                                              app: Any, session: Session, cast: Any,
                                              tmp_path: Any) -> None:
    link = sent_days_ago(app, session, cast.stakeholder1, 8)
    worker = start_worker(queued_config, log=tmp_path / "worker.log")
    try:
        # The periodic task is enqueued when the consumer starts, then every minute.
        wait_until(lambda: smtp.messages, timeout=60, what="the worker's reminder")
        wait_until(lambda: reload(session, link).reminded_at is not None, timeout=10,
                   what="the reminder recorded")
    finally:
        assert stop_worker(worker, signal.SIGTERM) == 0
    assert len(smtp.messages) == 1
    assert smtp.messages[0][1]["Subject"].startswith("Reminder: ")
