"""Sending summaries through a real SMTP server on loopback, and to the outbox."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session, select

from valuetracker.models import Distribution, Job, Setting, Stakeholder, ValueSummary, slugify
from valuetracker.quarters import parse_quarter
from valuetracker.summaries.generate import generate_one
from valuetracker.summaries.runs import create_summaries_job, enqueue_job
from valuetracker.summaries.send import send_summary

from .conftest import Inbox, free_port
from .factories import make_stakeholder


def _attachment(msg: email.message.EmailMessage) -> tuple[str, bytes]:
    part = next(msg.iter_attachments())
    return part.get_filename(), part.get_content()


def test_send_by_smtp_right_recipients_identical_attachment_no_double_send(
        smtp: Inbox, app: Flask, session: Session, cast: object) -> None:
    account = cast.account1  # type: ignore[attr-defined]
    gina = make_stakeholder(session, account, "Gina Key", is_key=True, email="gina@acme.example")
    make_stakeholder(session, account, "Otto Optout", is_key=True, email="otto@acme.example",
                     opted_out_at=datetime(2026, 1, 1, tzinfo=UTC))
    session.add(Setting(key="summary_email_template",
                        value="Hello $first_name, $account $quarter from $sender. $unknown"))
    session.commit()

    job = create_summaries_job(session, quarter="2026-Q3", account_ids=[account.id], send=True)
    session.commit()
    enqueue_job(app, job)
    session.expire_all()
    assert session.get(Job, job.id).status == "done"  # type: ignore[union-attr]

    recipients = sorted(r for rcpts, _m in smtp.messages for r in rcpts)
    assert recipients == sorted([cast.stakeholder1.email, "gina@acme.example"])  # type: ignore
    reports = Path(app.config["REPORTS_DIR"])
    for rcpts, msg in smtp.messages:
        summary = session.exec(select(ValueSummary).join(Distribution).where(
            Distribution.recipient == rcpts[0])).one()
        name, content = _attachment(msg)
        assert content == (reports / summary.file_path).read_bytes()
        person = session.get(Stakeholder, summary.stakeholder_id)
        assert name == f"acme-corp-value-summary-2026-Q3-{slugify(person.name)}.pdf"
        assert msg["Subject"] == "Your value summary 2026-Q3 — Acme Corp"
    gina_msg = next(m for r, m in smtp.messages if r == ["gina@acme.example"])
    text = gina_msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    # The admin's text, then the signature and the unsubscribe line (test_stakeholder_mail).
    # The signature follows the text's last line, as it follows "Best regards,".
    assert text.startswith("Hello Gina, Acme Corp 2026-Q3 from Alice Manager. $unknown\n"
                           "Alice Manager\n")

    # A retry (the same job again, or a second click) sends nothing more.
    again = create_summaries_job(session, quarter="2026-Q3", account_ids=[account.id], send=True)
    session.commit()
    enqueue_job(app, again)
    summary = session.exec(select(ValueSummary).where(
        ValueSummary.stakeholder_id == gina.id)).one()
    assert send_summary(session, summary).status == "sent"
    assert len(smtp.messages) == 2
    distributions = session.exec(select(Distribution)).all()
    assert len(distributions) == 2 and {d.status for d in distributions} == {"sent"}


def test_opted_out_after_generation_is_skipped(smtp: Inbox, app: Flask, session: Session,
                                               cast: object) -> None:
    account, buyer = cast.account1, cast.stakeholder1  # type: ignore[attr-defined]
    with app.app_context():
        summary = generate_one(session, account_id=account.id, stakeholder_id=buyer.id,
                               quarter=parse_quarter("2026-Q3"), variant="stakeholder")
        session.commit()
        buyer.opted_out_at = datetime(2026, 10, 1, tzinfo=UTC)
        session.add(buyer)
        session.commit()
        row = send_summary(session, summary)
    assert (row.status, row.error) == ("skipped", "opted out")
    assert smtp.messages == []


def test_account_churned_after_generation_is_skipped(smtp: Inbox, app: Flask,
                                                    session: Session, cast: object) -> None:
    account, buyer = cast.account1, cast.stakeholder1  # type: ignore[attr-defined]
    with app.app_context():
        summary = generate_one(session, account_id=account.id, stakeholder_id=buyer.id,
                               quarter=parse_quarter("2026-Q3"), variant="stakeholder")
        session.commit()
        account.status = "churned"
        session.add(account)
        session.commit()
        row = send_summary(session, summary)
    assert (row.status, row.error) == ("skipped", "account churned")
    assert smtp.messages == []


def test_failed_send_is_retried_once_server_is_back(app: Flask, session: Session,
                                                    cast: object) -> None:
    account, buyer = cast.account1, cast.stakeholder1  # type: ignore[attr-defined]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nobody listens
    with app.app_context():
        summary = generate_one(session, account_id=account.id, stakeholder_id=buyer.id,
                               quarter=parse_quarter("2026-Q3"), variant="stakeholder")
        session.commit()
        with pytest.raises(OSError):
            send_summary(session, summary)
        assert session.exec(select(Distribution)).one().status == "failed"
        app.config.update(MAIL_SERVER=None)  # now the outbox
        assert send_summary(session, summary).status == "sent"
    assert len(list(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))) == 1


def test_outbox_without_smtp(app: Flask, session: Session, cast: object) -> None:
    account, buyer = cast.account1, cast.stakeholder1  # type: ignore[attr-defined]
    job = create_summaries_job(session, quarter="2026-Q3", account_ids=[account.id], send=True)
    session.commit()
    enqueue_job(app, job)
    files = list(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))
    assert len(files) == 1
    msg = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert msg["To"] == buyer.email
    summary = session.exec(select(ValueSummary)).one()
    assert _attachment(msg)[1] == (Path(app.config["REPORTS_DIR"]) / summary.file_path
                                   ).read_bytes()
