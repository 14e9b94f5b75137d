"""What the API deletes and creates beside the basic rows, as the web app does: erasing a
stakeholder's personal data (DELETE /api/v1/stakeholders/{id}, the web's "Erase personal
data") and requesting a win/loss interview of a closed deal (POST /api/v1/interviews,
the deal page's "Request interview"), and commenting on a task (its page's comments)."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from valuetracker import api_tokens
from valuetracker.links import create_link
from valuetracker.models import AccessLink, AuditEvent, Stakeholder, WinLossInterview

from .factories import make_deal, make_pulse


def _auth(session: Any, user: Any, scope: str = "write") -> dict[str, str]:
    _row, token = api_tokens.create_token(session, user, name=f"{user.email} {scope}",
                                          scope=scope)
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_delete_stakeholder_erases_as_the_web_does(app: Any, client: Any, cast: Any,
                                                   session: Any) -> None:
    person = cast.stakeholder1
    make_pulse(session, person)
    with app.app_context():
        link, _token = create_link(session, "pulse", stakeholder_id=person.id,
                                   account_id=cast.account1.id, created_by_id=cast.am1.id)
    session.commit()
    url = f"/api/v1/stakeholders/{person.id}"
    am1 = _auth(session, cast.am1)
    etag = client.get(url, headers=am1).headers["ETag"]
    # Who may not: another account's manager (404), an analyst (403), a read token (403).
    assert client.delete(url, headers=_auth(session, cast.am2)).status_code == 404
    assert client.delete(url, headers=_auth(session, cast.analyst)).status_code == 403
    assert client.delete(url, headers=_auth(session, cast.am1, "read")).status_code == 403
    assert client.delete(url, headers={**am1, "If-Match": '"99"'}).status_code == 412
    assert session.get(Stakeholder, person.id).erased_at is None
    response = client.delete(url, headers={**am1, "If-Match": etag})
    assert response.status_code == 204 and response.data == b""
    session.expire_all()
    erased = session.get(Stakeholder, person.id)
    assert erased.erased_at is not None and erased.email is None
    assert "Carol" not in erased.name
    assert session.get(AccessLink, link.id).revoked_at is not None
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "erase")).one()
    assert event.user_id == cast.am1.id and "via API token" in event.summary
    # Read, it says who no more; any later change (or a second erasure) is refused.
    item = client.get(url, headers=am1).json
    assert item["email"] is None and "Carol" not in str(item)
    again = client.delete(url, headers=am1)
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert client.patch(url, headers=am1, json={"title": "CFO"}).status_code == 409


def test_post_interview_requests_one_as_the_deal_page(client: Any, cast: Any,
                                                      session: Any) -> None:
    won = make_deal(session, cast.account1, outcome="won", owner_id=cast.am1.id)
    still_open = make_deal(session, cast.account1, outcome="open", closed_on=None,
                           owner_id=cast.am1.id)
    session.commit()
    analyst = _auth(session, cast.analyst)
    created = client.post("/api/v1/interviews", headers=analyst, json={"deal": won.id})
    assert created.status_code == 201, created.json
    interview = session.exec(select(WinLossInterview)).one()
    assert created.headers["Location"].endswith(f"/api/v1/interviews/{interview.id}")
    assert (created.json["deal_id"], created.json["status"]) == (won.id, "requested")
    assert interview.interviewer_id == cast.analyst.id
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "interview")).one()
    assert "via API token" in event.summary
    # An open deal: the rule's message under `deal`; bad fields named; nothing created.
    refused = client.post("/api/v1/interviews", headers=analyst,
                          json={"deal": still_open.id})
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "deal"
    assert "closed deals" in refused.json["errors"][0]["detail"]
    for body, field in (({}, "deal"), ({"deal": "x"}, "deal"), ({"deal": True}, "deal"),
                        ({"deal": won.id, "colour": 1}, "colour")):
        bad = client.post("/api/v1/interviews", headers=analyst, json=body)
        assert bad.status_code == 422 and field in [e["field"] for e in bad.json["errors"]]
    assert client.post("/api/v1/interviews", headers=analyst,
                       json={"deal": 999999}).status_code == 404
    # Running the program is not an account manager's job (403), nor a read token's.
    assert client.post("/api/v1/interviews", headers=_auth(session, cast.am1),
                       json={"deal": won.id}).status_code == 403
    assert client.post("/api/v1/interviews", headers=_auth(session, cast.admin, "read"),
                       json={"deal": won.id}).status_code == 403
    assert len(session.exec(select(WinLossInterview)).all()) == 1


def test_task_comments_as_on_the_task_page(client: Any, cast: Any, session: Any) -> None:
    from valuetracker.models import TaskComment

    from .factories.tasks import make_task

    task = make_task(session, cast.account1, title="Call the CFO")
    session.commit()
    url = f"/api/v1/tasks/{task.id}/comments"
    am1 = _auth(session, cast.am1)
    created = client.post(url, headers=am1, json={"text": "Left a voicemail"})
    assert created.status_code == 201, created.json
    assert (created.json["text"], created.json["author"]) == ("Left a voicemail",
                                                              "Alice Manager")
    listed = client.get(url, headers=_auth(session, cast.analyst)).json
    assert [c["text"] for c in listed["items"]] == ["Left a voicemail"]
    assert listed["next"] is None
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "task_comment")).one()
    assert "via API token" in event.summary
    for body, field in (({}, "text"), ({"text": "  "}, "text"), ({"text": ["x"]}, "text"),
                        ({"text": "x", "mood": 1}, "mood")):
        bad = client.post(url, headers=am1, json=body)
        assert bad.status_code == 422 and field in [e["field"] for e in bad.json["errors"]]
    assert client.post(url, headers=_auth(session, cast.analyst),
                       json={"text": "x"}).status_code == 403
    assert client.post(url, headers=_auth(session, cast.am2),
                       json={"text": "x"}).status_code == 404
    assert client.get(url, headers=_auth(session, cast.am2)).status_code == 404
    assert len(session.exec(select(TaskComment)).all()) == 1
