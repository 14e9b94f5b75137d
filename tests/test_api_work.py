"""The JSON API's signals, account health and tasks (/api/v1/signals, /api/v1/tasks):
scoped like the web pages, tasks through the task form and the tasks area's writes."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import select

from valuetracker import api_tokens
from valuetracker.models import AuditEvent, Task, utcnow

from .factories.tasks import make_signal, make_task


def _auth(session: Any, user: Any, scope: str = "write") -> dict[str, str]:
    _row, token = api_tokens.create_token(session, user, name=f"{user.email} {scope}",
                                          scope=scope)
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_signals_scoped_filtered_and_health_on_the_account(client: Any, cast: Any,
                                                           session: Any) -> None:
    left = make_signal(session, cast.account1, stakeholder=cast.stakeholder1)
    cleared = make_signal(session, cast.account1, "single_threaded", severity="medium",
                          cleared_at=utcnow())
    theirs = make_signal(session, cast.account2, stakeholder=cast.stakeholder2)
    session.commit()
    am1 = _auth(session, cast.am1)
    listed = client.get("/api/v1/signals", headers=am1).json
    assert [s["id"] for s in listed["items"]] == [left.id, cleared.id]
    assert listed["items"][0]["account"] == "acme-corp" and listed["items"][0]["open"] is True
    assert listed["items"][0]["label"] and listed["items"][0]["since"] == "2026-11-30"
    assert [s["id"] for s in client.get("/api/v1/signals?open=false",
                                        headers=am1).json["items"]] == [cleared.id]
    assert [s["id"] for s in client.get("/api/v1/signals?severity=high&kind=key_stakeholder_left",
                                        headers=am1).json["items"]] == [left.id]
    assert client.get("/api/v1/signals?account=globex", headers=am1).status_code == 404
    assert client.get(f"/api/v1/signals/{theirs.id}", headers=am1).status_code == 404
    assert client.get(f"/api/v1/signals/{left.id}", headers=am1).json["stakeholder_id"] == \
        cast.stakeholder1.id
    bad = client.get("/api/v1/signals?open=maybe&severity=dire", headers=am1)
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert bad.json["errors"][0]["field"] in ("open", "severity")
    leader = _auth(session, cast.leader, "read")
    assert len(client.get("/api/v1/signals", headers=leader).json["items"]) == 3

    account = client.get(f"/api/v1/accounts/{cast.account1.id}", headers=am1).json
    from valuetracker.signals.health import account_health

    health = account_health(session, cast.account1)
    assert account["health_score"] == health.score < 100
    assert account["health_band"] == health.band
    rows = {a["slug"]: a for a in client.get("/api/v1/accounts", headers=leader).json["items"]}
    assert rows["acme-corp"]["health_score"] == health.score
    assert rows["globex"]["health_score"] < 100


def test_tasks_create_update_status_through_the_task_rules(client: Any, cast: Any,
                                                            session: Any) -> None:
    am1 = _auth(session, cast.am1)
    made = client.post("/api/v1/tasks", headers=am1, json={
        "account": "acme-corp", "title": "Call Carol about the renewal",
        "stakeholder_id": cast.stakeholder1.id, "due_on": "2026-12-20"})
    assert made.status_code == 201, made.json
    task = made.json
    # The assignee defaults to the account's owner, as on the web's "New task".
    assert (task["assignee_id"], task["assignee_email"]) == (cast.am1.id, "am1@example.com")
    assert task["status"] == "open" and made.headers["Location"].endswith(f"/tasks/{task['id']}")
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "task")).one()
    assert "API token am1@example.com write" in event.summary
    assert "Carol" not in event.summary  # titles are never in the audit trail

    # The form's rules: an assignee off the team, a person from another account.
    refused = client.post("/api/v1/tasks", headers=am1, json={
        "account": "acme-corp", "title": "x", "assignee_id": cast.am2.id,
        "stakeholder_id": cast.stakeholder2.id})
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json["errors"]} == {"assignee_id", "stakeholder_id"}
    blank = client.post("/api/v1/tasks", headers=am1, json={"account": "acme-corp",
                                                            "title": " "})
    assert blank.status_code == 422 and blank.json["errors"][0]["field"] == "title"

    url = f"/api/v1/tasks/{task['id']}"
    etag = client.get(url, headers=am1).headers["ETag"]
    moved = client.patch(url, headers={**am1, "If-Match": etag},
                         json={"due_on": "2027-01-05", "title": "Call Carol"})
    assert moved.status_code == 200, moved.json
    assert moved.json["due_on"] == "2027-01-05" and moved.json["stakeholder_id"] == \
        cast.stakeholder1.id
    stale = client.patch(url, headers={**am1, "If-Match": etag}, json={"status": "done"})
    assert stale.status_code == 412
    no_reason = client.patch(url, headers=am1, json={"status": "dismissed"})
    assert no_reason.status_code == 422 and no_reason.json["errors"][0]["field"] == "reason"
    dismissed = client.patch(url, headers=am1, json={"status": "dismissed",
                                                     "reason": "They renewed already"})
    assert dismissed.status_code == 200
    assert (dismissed.json["status"], dismissed.json["dismissed_reason"]) == \
        ("dismissed", "They renewed already")
    assert client.patch(url, headers=am1, json={"status": "done"}).status_code == 422
    reopened = client.patch(url, headers=am1, json={"status": "open"})
    assert reopened.json["status"] == "open" and reopened.json["dismissed_reason"] is None
    done = client.patch(url, headers=am1, json={"status": "done", "title": "Called Carol"})
    assert done.json["status"] == "done" and done.json["done_at"]
    assert done.json["title"] == "Called Carol"
    actions = {e.action for e in session.exec(select(AuditEvent).where(
        AuditEvent.entity == "task")).all()}
    assert {"create", "update", "dismiss", "reopen", "complete"} <= actions
    assert session.get(Task, task["id"]).status == "done"


def test_tasks_scoped_filtered_and_read_only_roles_refused(client: Any, cast: Any,
                                                           session: Any) -> None:
    mine = make_task(session, cast.account1, assignee=cast.am1)
    other = make_task(session, cast.account1, "Send the deck", assignee=None, status="done")
    theirs = make_task(session, cast.account2, assignee=cast.am2, due_on=date(2026, 12, 1))
    session.commit()
    am1 = _auth(session, cast.am1)
    assert [t["id"] for t in client.get("/api/v1/tasks", headers=am1).json["items"]] == \
        [mine.id, other.id]
    for query in ("assignee=am1@example.com", f"assignee={cast.am1.id}", "status=open"):
        assert [t["id"] for t in client.get(f"/api/v1/tasks?{query}",
                                            headers=am1).json["items"]] == [mine.id], query
    assert client.get("/api/v1/tasks?status=late", headers=am1).status_code == 422
    assert client.get("/api/v1/tasks?account=globex", headers=am1).status_code == 404
    for method in ("get", "patch"):
        assert getattr(client, method)(f"/api/v1/tasks/{theirs.id}", headers=am1,
                                       json={"status": "done"}).status_code == 404
    assert client.post("/api/v1/tasks", headers=am1, json={
        "account": "globex", "title": "Not mine"}).status_code == 404

    for user, scope in ((cast.am1, "read"), (cast.leader, "write"), (cast.analyst, "write")):
        headers = _auth(session, user, scope)
        assert client.patch(f"/api/v1/tasks/{mine.id}", headers=headers,
                            json={"status": "done"}).status_code == 403, user.email
        assert client.post("/api/v1/tasks", headers=headers, json={
            "account": "acme-corp", "title": "x"}).status_code == 403, user.email
    leader = _auth(session, cast.leader, "read")
    assert len(client.get("/api/v1/tasks", headers=leader).json["items"]) == 3
    assert session.get(Task, mine.id).status == "open"


def test_webhooks_for_admins_secret_once_and_field_errors(client: Any, cast: Any,
                                                          session: Any) -> None:
    from valuetracker.models import WebhookDelivery, WebhookEndpoint

    admin = _auth(session, cast.admin)
    made = client.post("/api/v1/webhooks", headers=admin, json={
        "url": "https://hooks.example.com/in", "events": ["deal.closed", "task.created"],
        "description": "CRM"})
    assert made.status_code == 201, made.json
    hook = made.json
    row = session.get(WebhookEndpoint, hook["id"])
    assert hook["secret"] == row.secret and hook["secret"].startswith("whsec_")
    assert hook["enabled"] is True and hook["events"] == ["deal.closed", "task.created"]
    url = made.headers["Location"]
    read = client.get(url, headers=admin)
    assert read.status_code == 200 and "secret" not in read.json
    assert all("secret" not in e for e in client.get("/api/v1/webhooks",
                                                     headers=admin).json["items"])
    audit = session.exec(select(AuditEvent).where(AuditEvent.entity == "webhook_endpoint")).one()
    assert "API token admin@example.com write" in audit.summary

    private = client.post("/api/v1/webhooks", headers=admin, json={
        "url": "http://10.0.0.1/hook", "events": ["deal.closed"]})
    assert private.status_code == 422 and private.json["errors"][0]["field"] == "url"
    no_events = client.patch(url, headers=admin, json={"events": []})
    assert no_events.status_code == 422 and no_events.json["errors"][0]["field"] == "events"
    unknown = client.patch(url, headers=admin, json={"events": ["deal.exploded"]})
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "events"

    etag = read.headers["ETag"]
    off = client.patch(url, headers={**admin, "If-Match": etag}, json={"enabled": False})
    assert off.status_code == 200 and off.json["enabled"] is False
    assert off.json["url"] == "https://hooks.example.com/in"  # untouched fields stay
    assert client.patch(url, headers={**admin, "If-Match": etag},
                        json={"enabled": True}).status_code == 412
    rotated = client.post(f"{url}/rotate-secret", headers=admin)
    assert rotated.status_code == 200 and rotated.json["secret"] != hook["secret"]
    session.refresh(row)
    assert row.secret == rotated.json["secret"]

    session.add(WebhookDelivery(endpoint_id=row.id, event_id="msg_1", event="deal.closed",
                                body="{}", status="failed", attempt=2, error="timed out"))
    session.commit()
    deliveries = client.get(f"{url}/deliveries", headers=admin).json["items"]
    assert [(d["event"], d["status"], d["attempt"], d["error"]) for d in deliveries] == \
        [("deal.closed", "failed", 2, "timed out")]

    for user in (cast.am1, cast.leader, cast.analyst):
        headers = _auth(session, user)
        for method, path in (("get", "/api/v1/webhooks"), ("post", "/api/v1/webhooks"),
                             ("get", url), ("patch", url), ("delete", url),
                             ("post", f"{url}/rotate-secret"), ("get", f"{url}/deliveries")):
            response = client.open(path, method=method.upper(), headers=headers,
                                   json={"url": "https://x.example.com", "events": ["deal.closed"]})
            assert response.status_code == 403, (user.email, method, path)
    assert client.get("/api/v1/webhooks/999999", headers=admin).status_code == 404
    assert client.delete(url, headers=_auth(session, cast.admin, "read")).status_code == 403
    assert client.delete(url, headers=admin).status_code == 204
    assert session.exec(select(WebhookEndpoint)).all() == []
    assert session.exec(select(WebhookDelivery)).all() == []


def test_the_same_non_ascii_account_name_twice_is_a_field_error(client: Any, cast: Any,
                                                                session: Any) -> None:
    """SQLite's lower() folds ASCII only: the exact name must still count as taken (a
    500 found by schemathesis)."""
    am1 = _auth(session, cast.am1)
    first = client.post("/api/v1/accounts", headers=am1, json={"name": "Åström AB"})
    assert first.status_code == 201, first.json
    again = client.post("/api/v1/accounts", headers=am1, json={"name": "Åström AB"})
    assert again.status_code == 422 and again.json["errors"][0]["field"] == "name"


def test_deal_debrief_through_the_debrief_form(client: Any, cast: Any, session: Any) -> None:
    from valuetracker.models import Deal

    from .factories import make_deal, make_factor

    price = make_factor(session, "Price")
    deal = make_deal(session, cast.account1, outcome="open", owner_id=cast.am1.id)
    theirs = make_deal(session, cast.account2, outcome="open", owner_id=cast.am2.id)
    session.commit()
    am1 = _auth(session, cast.am1)
    url = f"/api/v1/deals/{deal.id}/debrief"
    no_reason = client.patch(url, headers=am1, json={"outcome": "lost"})
    assert no_reason.status_code == 422
    assert no_reason.json["errors"][0]["field"] == "rep_reason_id"
    bad = client.patch(url, headers=am1, json={"outcome": "open", "rep_reason_id": price.id})
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "outcome"
    etag = client.get(f"/api/v1/deals/{deal.id}", headers=am1).headers["ETag"]
    saved = client.patch(url, headers={**am1, "If-Match": etag}, json={
        "outcome": "lost", "rep_reason_id": price.id, "closed_on": "2026-11-28",
        "rep_notes": "Cheaper rival"})
    assert saved.status_code == 200, saved.json
    assert (saved.json["outcome"], saved.json["closed_on"], saved.json["rep_reason_id"],
            saved.json["rep_notes"]) == ("lost", "2026-11-28", price.id, "Cheaper rival")
    assert client.patch(url, headers={**am1, "If-Match": etag},
                        json={"rep_notes": "x"}).status_code == 412
    notes = client.patch(url, headers=am1, json={"rep_notes": "Cheaper rival, sooner"})
    assert notes.json["outcome"] == "lost" and notes.json["rep_reason_id"] == price.id
    event = session.exec(select(AuditEvent).where(
        AuditEvent.entity == "deal", AuditEvent.summary.contains("debrief"))).first()
    assert event is not None and "API token am1@example.com write" in event.summary
    assert client.patch(f"/api/v1/deals/{theirs.id}/debrief", headers=am1,
                        json={"rep_notes": "x"}).status_code == 404
    for user, scope in ((cast.am1, "read"), (cast.leader, "write")):
        assert client.patch(url, headers=_auth(session, user, scope),
                            json={"rep_notes": "x"}).status_code == 403
    session.expire_all()
    assert session.get(Deal, deal.id).rep_notes == "Cheaper rival, sooner"


def test_interview_recorded_through_the_interview_form(client: Any, cast: Any,
                                                       session: Any) -> None:
    from valuetracker.models import FactorRating, InterviewAnswer, InterviewQuote

    from .factories import make_deal, make_factor, make_guide, make_interview

    price = make_factor(session, "Price")
    guide = make_guide(session, factor=price)
    deal = make_deal(session, cast.account1, outcome="won", owner_id=cast.am1.id)
    interview = make_interview(session, deal, cast.stakeholder1, status="requested",
                               guide_id=guide.id)
    session.commit()
    text_q, rating_q = session.exec(sa_select_questions(guide.id)).all()
    analyst = _auth(session, cast.analyst)
    url = f"/api/v1/interviews/{interview.id}"
    etag = client.get(url, headers=analyst).headers["ETag"]
    saved = client.patch(url, headers={**analyst, "If-Match": etag}, json={
        "status": "completed", "completed_on": "2026-11-20", "anonymity": "anonymized",
        "primary_reason_id": price.id,
        "answers": [{"question_id": text_q, "value": "The onboarding plan"},
                    {"question_id": rating_q, "value": 4}],
        "ratings": [{"factor_id": price.id, "rating": 2, "importance": 5,
                     "effect": "loss_driver"}],
        "quotes": [{"text": "You were pricier.", "tags": ["price"], "factor_id": price.id}]})
    assert saved.status_code == 200, saved.json
    item = saved.json
    assert item["status"] == "completed" and item["completed_at"].startswith("2026-11-20")
    assert item["stakeholder_id"] is None and "Carol" not in str(item)  # anonymized now
    assert {(a["question_id"], a["text"], a["rating"]) for a in item["answers"]} == \
        {(text_q, "The onboarding plan", None), (rating_q, None, 4)}
    assert item["ratings"] == [{"factor_id": price.id, "rating": 2, "importance": 5,
                                "effect": "loss_driver"}]
    assert item["quotes"] == [{"text": "You were pricier.", "factor_id": price.id,
                               "tags": ["price"]}]
    # Only what is given changes: the answers, ratings and quotes stay.
    notes = client.patch(url, headers=analyst, json={"notes": "Follow up in Q1"})
    assert notes.status_code == 200 and notes.json["answers"] == item["answers"]
    assert len(session.exec(select(InterviewQuote)).all()) == 1
    assert len(session.exec(select(FactorRating)).all()) == 1
    assert len(session.exec(select(InterviewAnswer)).all()) == 2
    assert client.patch(url, headers={**analyst, "If-Match": etag},
                        json={"notes": "x"}).status_code == 412
    for body, field in (({"answers": [{"question_id": 999999, "value": "x"}]}, "answers"),
                        ({"ratings": [{"factor_id": price.id, "rating": 9}]}, "ratings"),
                        ({"status": "lost"}, "status")):
        refused = client.patch(url, headers=analyst, json=body)
        assert refused.status_code == 422, body
        assert refused.json["errors"][0]["field"] == field
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "interview")).first()
    assert event is not None and "API token analyst" in event.summary
    for user in (cast.am1, cast.leader):
        assert client.patch(url, headers=_auth(session, user),
                            json={"notes": "x"}).status_code == 403


def sa_select_questions(guide_id: int) -> Any:
    from valuetracker.models import GuideQuestion

    return select(GuideQuestion.id).where(GuideQuestion.guide_id == guide_id).order_by(
        GuideQuestion.position)


def test_odd_json_types_are_field_errors_not_500(client: Any, cast: Any, session: Any) -> None:
    from .factories import make_deal, make_interview

    task = make_task(session, cast.account1, assignee=cast.am1)
    deal = make_deal(session, cast.account1, outcome="won", owner_id=cast.am1.id)
    interview = make_interview(session, deal, cast.stakeholder1, status="requested")
    session.commit()
    am1, analyst = _auth(session, cast.am1), _auth(session, cast.analyst)
    for body, field in (({"status": ["done"]}, "status"), ({"status": {"a": 1}}, "status"),
                        ({"title": ["x"]}, "title"), ({"due_on": "2026-02-30"}, "due_on")):
        answer = client.patch(f"/api/v1/tasks/{task.id}", headers=am1, json=body)
        assert answer.status_code == 422, body
        assert answer.json["errors"][0]["field"] == field
    for body, field in (({"answers": [{"question_id": [1]}]}, "answers"),
                        ({"ratings": [{"factor_id": {"x": 1}}]}, "ratings"),
                        ({"quotes": "x"}, "quotes"), ({"answers": "x"}, "answers")):
        answer = client.patch(f"/api/v1/interviews/{interview.id}", headers=analyst, json=body)
        assert answer.status_code == 422, body
        assert answer.json["errors"][0]["field"] == field
