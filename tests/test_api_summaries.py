"""Starting the summaries' generate and send jobs through the API (/api/v1/summaries/
generate and /send): the same job and audit event as the web's buttons, the web's
permissions, 202 with the job's status URL, and the mail sent through a real SMTP server."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlmodel import select

from valuetracker import api_tokens
from valuetracker.models import AuditEvent, Distribution, Job, ValueSummary

from .factories.scenarios import seed_account_value

Q = "2026-Q3"


def _auth(session: Any, user: Any, scope: str = "write") -> dict[str, str]:
    _row, token = api_tokens.create_token(session, user, name=f"{user.email} {scope}",
                                          scope=scope)
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_generate_then_send_answers_202_and_mails_once(smtp: Any, app: Flask, session: Any,
                                                       cast: Any) -> None:
    seed_account_value(session, cast.account1, cast.stakeholder1)
    session.commit()
    client = app.test_client()
    headers = _auth(session, cast.am1)
    response = client.post("/api/v1/summaries/generate", headers=headers,
                           json={"quarter": Q, "account": "acme-corp"})
    assert response.status_code == 202, response.json
    job = session.exec(select(Job)).one()
    status_url = response.headers["Location"]
    assert status_url.endswith(f"/api/v1/jobs/{job.id}")
    assert response.json["status_url"] == status_url
    assert (job.params["account_ids"], job.params["send"], job.created_by_id) == (
        [cast.account1.id], False, cast.am1.id)
    # The in-process queue ran it; its status is the job page's feed.
    status = client.get(status_url, headers=headers)
    assert status.status_code == 200
    assert status.json == {"id": job.id, "status": "done", "done": 1, "failed": 0,
                           "total": 1, "percent": 100, "message": "Finished: 1 of 1 done"}
    summary = session.exec(select(ValueSummary)).one()
    assert summary.stakeholder_id == cast.stakeholder1.id and summary.quarter == Q
    assert smtp.messages == []
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "job")).one()
    assert event.user_id == cast.am1.id and "via API token" in event.summary
    assert event.details["accounts"] == [cast.account1.id]
    # Send, twice: one mail, through the SMTP server, with the PDF generated above.
    for _ in range(2):
        sent = client.post("/api/v1/summaries/send", headers=headers,
                           json={"quarter": Q, "account": cast.account1.id})
        assert sent.status_code == 202, sent.json
    assert [rcpts for rcpts, _m in smtp.messages] == [[cast.stakeholder1.email]]
    _rcpts, message = smtp.messages[0]
    attachment = next(p for p in message.walk() if p.get_content_type() == "application/pdf")
    pdf = client.get(f"/api/v1/summaries/{summary.id}/pdf", headers=headers).data
    assert attachment.get_payload(decode=True) == pdf
    assert len(session.exec(select(Distribution)).all()) == 1


def test_generate_and_send_permissions_match_the_web(app: Flask, session: Any,
                                                     cast: Any) -> None:
    client = app.test_client()
    one_account = {"quarter": Q, "account": "acme-corp"}
    for user, status in [(cast.am2, 404), (cast.analyst, 403), (cast.am1, 202),
                         (cast.leader, 202), (cast.admin, 202)]:
        headers = _auth(session, user)
        for path in ("generate", "send"):
            response = client.post(f"/api/v1/summaries/{path}", headers=headers,
                                   json=one_account)
            assert response.status_code == status, (user.email, path, response.json)
    # The whole portfolio: those who may send every account's (the coverage page's rule).
    for user, status in [(cast.am1, 403), (cast.analyst, 403), (cast.leader, 202),
                         (cast.admin, 202)]:
        response = client.post("/api/v1/summaries/generate", headers=_auth(session, user),
                               json={"quarter": Q})
        assert response.status_code == status, user.email
    # A read token starts nothing; another user's job is not theirs to see.
    read = _auth(session, cast.leader, "read")
    assert client.post("/api/v1/summaries/send", headers=read,
                       json=one_account).status_code == 403
    leaders_job = session.exec(select(Job).where(Job.created_by_id == cast.leader.id)).first()
    assert client.get(f"/api/v1/jobs/{leaders_job.id}",
                      headers=_auth(session, cast.am1)).status_code == 404
    assert client.get(f"/api/v1/jobs/{leaders_job.id}",
                      headers=_auth(session, cast.admin)).status_code == 200


def test_bad_fields_are_named_and_start_nothing(app: Flask, session: Any, cast: Any) -> None:
    client = app.test_client()
    headers = _auth(session, cast.am1)
    before = len(session.exec(select(Job)).all())
    for body, field in [({"account": "acme-corp"}, "quarter"),
                        ({"quarter": "2026-Q9", "account": "acme-corp"}, "quarter"),
                        ({"quarter": Q, "account": "acme-corp", "variant": "poster"},
                         "variant"),
                        ({"quarter": Q, "account": "acme-corp", "variant": "internal",
                          "send": True}, "send"),
                        ({"quarter": Q, "account": "acme-corp", "colour": "red"}, "colour"),
                        ({"quarter": Q, "account": [{"id": 1}]}, "account")]:
        response = client.post("/api/v1/summaries/generate", headers=headers, json=body)
        assert response.status_code == 422, (body, response.json)
        assert response.mimetype == "application/problem+json"
        assert field in [e["field"] for e in response.json["errors"]], response.json
    assert client.post("/api/v1/summaries/generate", headers=headers,
                       json={"quarter": Q, "account": "no-such"}).status_code == 404
    assert len(session.exec(select(Job)).all()) == before


def test_internal_review_of_several_accounts(app: Flask, session: Any, cast: Any) -> None:
    client = app.test_client()
    response = client.post("/api/v1/summaries/generate", headers=_auth(session, cast.admin),
                           json={"quarter": Q, "account": ["acme-corp", cast.account2.id,
                                                           "acme-corp"],
                                 "variant": "internal"})
    assert response.status_code == 202, response.json
    job = session.exec(select(Job)).one()
    assert job.params["account_ids"] == [cast.account1.id, cast.account2.id]
    assert job.params["variant"] == "internal"
    assert response.json["total"] == 2
    variants = {s.variant for s in session.exec(select(ValueSummary)).all()}
    assert variants == {"internal"}


def test_the_document_describes_the_job_operations(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").json
    generate = spec["paths"]["/api/v1/summaries/generate"]["post"]
    assert "202" in generate["responses"] and "Location" in generate["responses"]["202"][
        "headers"]
    assert "quarter" in spec["components"]["schemas"]["SummariesGenerate"]["required"]
    assert "get" in spec["paths"]["/api/v1/jobs/{job_id}"]
