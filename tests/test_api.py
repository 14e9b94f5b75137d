"""The JSON API (/api/v1): tokens, scoping, the shape of lists and items, validation by
the web forms, ETags, problems, the audit trail and the OpenAPI document."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlmodel import select

from valuetracker import api_tokens
from valuetracker.models import ApiToken, AuditEvent, ValueEntry, utcnow

from .factories import make_account, make_entry
from .rendered import page_form, rendered_forms


def _token(session: Any, user: Any, scope: str = "write", **kw: Any) -> str:
    _row, token = api_tokens.create_token(session, user, name=f"{scope} token", scope=scope,
                                          **kw)
    session.commit()
    return token


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


ENTRY = {"title": "Faster month-end close", "driver": "productivity", "amount": "120",
         "unit": "hours", "delivered_on": "2026-11-30"}


def test_cli_creates_a_token_printed_alone_on_the_last_line(app: Flask, runner: Any,
                                                            cast: Any, session: Any) -> None:
    result = runner.invoke(args=["api-token", "create", "am1@example.com", "--name", "CRM sync",
                                 "--scope", "write", "--expires-days", "30"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("vt_") and " " not in token
    row = session.exec(select(ApiToken)).one()
    assert row.token_hash == api_tokens.hash_token(token) and token not in row.token_hash
    assert (row.name, row.scope) == ("CRM sync", "write")
    assert timedelta(days=29) < row.expires_at - utcnow() <= timedelta(days=30)
    response = app.test_client().get("/api/v1/accounts", headers=_auth(token))
    assert response.status_code == 200
    session.refresh(row)
    assert row.last_used_at is not None


@pytest.mark.parametrize("args, message", [
    (["nobody@example.com", "--name", "x"], "No active user"),
    (["am1@example.com", "--name", "x", "--expires-days", "0"], "expires after"),
    (["am1@example.com", "--name", " "], "name"),
])
def test_cli_refuses_with_a_message(runner: Any, cast: Any, args: list[str],
                                    message: str) -> None:
    result = runner.invoke(args=["api-token", "create", *args])
    assert result.exit_code != 0 and message in result.output


def test_no_expired_or_revoked_token_gets_401_problem(client: Any, cast: Any,
                                                      session: Any) -> None:
    live = _token(session, cast.am1)
    expired_row, expired = api_tokens.create_token(session, cast.am1, name="old")
    expired_row.expires_at = utcnow() - timedelta(seconds=1)
    revoked_row, revoked = api_tokens.create_token(session, cast.am1, name="gone")
    api_tokens.revoke_token(session, revoked_row, user=cast.am1)
    session.commit()
    for headers in ({}, _auth("vt_not-a-token"), _auth(expired), _auth(revoked),
                    {"Authorization": f"Basic {live}"}):
        response = client.get("/api/v1/accounts", headers=headers)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.json["status"] == 401 and response.headers["WWW-Authenticate"]
    assert client.get("/api/v1/accounts", headers=_auth(live)).status_code == 200


def test_a_session_cookie_alone_authenticates_nothing(login_as: Any, cast: Any) -> None:
    client = login_as(cast.am1)
    assert client.get("/accounts/acme-corp").status_code == 200  # signed in on the web
    assert client.get("/api/v1/accounts").status_code == 401
    response = client.post("/api/v1/value-entries", json={**ENTRY, "account": "acme-corp"})
    assert response.status_code == 401


def test_account_list_shape_scope_and_pages(app: Flask, client: Any, cast: Any,
                                            session: Any) -> None:
    for n in range(3):
        make_account(session, f"Extra {n}", owner=cast.am1, segment="SMB")
    session.commit()
    token = _token(session, cast.am1, "read")
    first = client.get("/api/v1/accounts?limit=2", headers=_auth(token))
    assert first.status_code == 200
    body = first.json
    assert set(body) == {"items", "next"} and len(body["items"]) == 2
    assert {"id", "slug", "name", "version", "updated_at"} <= set(body["items"][0])
    second = client.get(body["next"], headers=_auth(token)).json
    names = [a["name"] for a in body["items"] + second["items"]]
    assert second["next"] is None
    assert sorted(names) == ["Acme Corp", "Extra 0", "Extra 1", "Extra 2"]  # not Globex
    ids = [a["id"] for a in body["items"] + second["items"]]
    assert ids == sorted(ids)
    assert client.get(f"/api/v1/accounts/{cast.account2.id}",
                      headers=_auth(token)).status_code == 404
    one = client.get(f"/api/v1/accounts/{cast.account1.id}", headers=_auth(token))
    assert one.json["slug"] == "acme-corp" and one.headers["ETag"] == '"1"'
    later = client.get("/api/v1/accounts?updated_since=2999-01-01T00:00:00Z",
                       headers=_auth(token)).json
    assert later == {"items": [], "next": None}
    assert client.get("/api/v1/accounts?tier=bogus&segment=Enterprise",
                      headers=_auth(token)).json["items"] == []
    seg = client.get("/api/v1/accounts?segment=Enterprise", headers=_auth(token)).json
    assert [a["name"] for a in seg["items"]] == ["Acme Corp"]


def test_value_entry_create_update_delete_through_the_web_rules(
        client: Any, cast: Any, session: Any) -> None:
    token = _token(session, cast.am1)
    created = client.post("/api/v1/value-entries", headers=_auth(token),
                          json={**ENTRY, "account": cast.account1.id,
                                "beneficiaries": [cast.stakeholder1.id]})
    assert created.status_code == 201, created.json
    item = created.json
    assert created.headers["Location"].endswith(f"/api/v1/value-entries/{item['id']}")
    assert item["account"] == "acme-corp" and item["amount"] == "120.00"
    assert item["evidence_status"] == "claimed"  # the import format's default
    assert item["beneficiaries"] == [cast.stakeholder1.id] and item["confirmations"] == []
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "value_entry")).one()
    assert event.user_id == cast.am1.id and "via API token write token" in event.summary
    url = f"/api/v1/value-entries/{item['id']}"
    stale = client.patch(url, headers={**_auth(token), "If-Match": '"7"'},
                         json={"evidence_status": "confirmed"})
    assert stale.status_code == 412 and stale.mimetype == "application/problem+json"
    saved = client.patch(url, headers={**_auth(token), "If-Match": created.headers["ETag"]},
                         json={"evidence_status": "confirmed"})
    assert saved.status_code == 200, saved.json
    assert saved.json["evidence_status"] == "confirmed" and saved.json["version"] == 2
    assert saved.json["title"] == ENTRY["title"]  # fields not given are kept
    assert saved.json["beneficiaries"] == [cast.stakeholder1.id]
    assert client.delete(url, headers={**_auth(token), "If-Match": '"1"'}).status_code == 412
    assert client.delete(url, headers={**_auth(token), "If-Match": '"2"'}).status_code == 204
    assert session.get(ValueEntry, item["id"]) is None


def test_invalid_fields_are_422_naming_each_field_with_the_forms_words(
        client: Any, cast: Any, session: Any) -> None:
    token = _token(session, cast.am1)
    response = client.post("/api/v1/value-entries", headers=_auth(token), json={
        "account": "acme-corp", "title": "Two\nlines", "driver": "luck", "amount": "NaN",
        "delivered_on": "2026-13-01", "colour": "red"})
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    errors = {e["field"]: e["detail"] for e in response.json["errors"]}
    assert set(errors) == {"title", "driver", "amount", "delivered_on", "colour"}
    assert "single line" in errors["title"]
    assert client.post("/api/v1/value-entries", headers=_auth(token),
                       json={**ENTRY}).json["errors"][0]["field"] == "account"
    nul = client.post("/api/v1/stakeholders", headers=_auth(token),
                      json={"account": "acme\x00", "name": "Zed\x00"})
    assert nul.status_code == 422 and nul.json["errors"][0]["field"] == "account"
    nul = client.post("/api/v1/stakeholders", headers=_auth(token),
                      json={"account": "acme-corp", "name": "Zed\x00"})
    assert nul.status_code == 422 and nul.json["errors"][0]["field"] == "name"
    assert client.post("/api/v1/value-entries", headers=_auth(token), data="x",
                       content_type="text/plain").status_code == 415


def test_roles_and_scopes_that_may_not_write_get_403(client: Any, cast: Any,
                                                     session: Any) -> None:
    body = {**ENTRY, "account": "acme-corp"}
    for user, scope in ((cast.am1, "read"), (cast.leader, "write"), (cast.analyst, "write")):
        response = client.post("/api/v1/value-entries", headers=_auth(_token(session, user,
                                                                               scope)),
                               json=body)
        assert response.status_code == 403, (user.email, scope)
        assert response.mimetype == "application/problem+json"
    leader = _token(session, cast.leader, "read")
    assert client.get("/api/v1/value-entries?account=globex",
                      headers=_auth(leader)).status_code == 200
    outsider = _token(session, cast.am2)
    assert client.post("/api/v1/value-entries", headers=_auth(outsider),
                       json=body).status_code == 404
    entry = make_entry(session, cast.account1)
    session.commit()
    for method in ("get", "patch", "delete"):
        response = getattr(client, method)(f"/api/v1/value-entries/{entry.id}",
                                           headers=_auth(outsider), json={})
        assert response.status_code == 404, method
    assert client.get("/api/v1/value-entries?account=acme-corp",
                      headers=_auth(outsider)).status_code == 404


def test_stakeholders_commitments_and_pulses(client: Any, cast: Any, session: Any) -> None:
    token = _token(session, cast.am1)
    person = client.post("/api/v1/stakeholders", headers=_auth(token), json={
        "account": "acme-corp", "name": "Erin Ops", "email": "ERIN@acme.example",
        "buying_role": "champion", "is_key": True})
    assert person.status_code == 201, person.json
    assert person.json["email"] == "erin@acme.example" and person.json["is_key"] is True
    assert person.json["influence"] == 3  # the form's default
    dup = client.post("/api/v1/stakeholders", headers=_auth(token), json={
        "account": "acme-corp", "name": "Erin Again", "email": "erin@acme.example"})
    assert dup.status_code == 422 and dup.json["errors"][0]["field"] == "email"
    changed = client.patch(f"/api/v1/stakeholders/{person.json['id']}", headers=_auth(token),
                           json={"opted_out": True})
    assert changed.status_code == 200 and changed.json["opted_out"] is True
    assert changed.json["is_key"] is True
    listed = client.get("/api/v1/stakeholders?account=acme-corp", headers=_auth(token)).json
    assert {p["name"] for p in listed["items"]} == {"Carol Buyer", "Erin Ops"}

    commitment = client.post("/api/v1/commitments", headers=_auth(token), json={
        "account": "acme-corp", "title": "Cut onboarding to a week", "driver": "productivity",
        "unit": "hours", "due_on": "2027-03-31", "status": "planned"})
    assert commitment.status_code == 201, commitment.json
    refused = client.patch(f"/api/v1/commitments/{commitment.json['id']}",
                           headers=_auth(token), json={"status": "delivered"})
    assert refused.status_code == 422
    assert refused.json["errors"][0]["field"] == "delivered_by"

    pulse = client.post("/api/v1/pulses", headers=_auth(token), json={
        "account": "acme-corp", "stakeholder_id": cast.stakeholder1.id,
        "taken_on": "2026-11-20", "satisfaction": 4, "repurchase_intent": "probably",
        "recommend": 8, "driver_ranking": ["productivity", "cost_reduction", "strategic"]})
    assert pulse.status_code == 201, pulse.json
    assert pulse.json["driver_ranking"] == ["productivity", "cost_reduction", "strategic"]
    twice = client.post("/api/v1/pulses", headers=_auth(token), json={
        "account": "acme-corp", "stakeholder_id": cast.stakeholder1.id,
        "taken_on": "2026-11-20", "satisfaction": 4, "repurchase_intent": "probably",
        "recommend": 8, "driver_ranking": ["productivity", "productivity", "strategic"]})
    assert twice.status_code == 422 and twice.json["errors"][0]["field"] == "driver_ranking"
    assert client.get(f"/api/v1/pulses?stakeholder={cast.stakeholder1.id}",
                      headers=_auth(token)).json["items"][0]["recommend"] == 8


def test_rate_limited_per_token(app_config: dict[str, Any], cast: Any) -> None:
    from valuetracker import create_app

    app = create_app(dict(app_config, API_RATE_LIMIT="3 per minute"))
    with app.app_context():
        from valuetracker.db import get_session

        session = get_session()
        from valuetracker.models import User

        am1 = session.get(User, cast.am1.id)
        one, other = _token(session, am1, "read"), _token(session, am1, "read")
    client = app.test_client()
    try:
        codes = [client.get("/api/v1/accounts", headers=_auth(one)).status_code
                 for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert client.get("/api/v1/accounts", headers=_auth(other)).status_code == 200
    finally:
        app.extensions["valuetracker.engine"].dispose()


def test_openapi_document_and_reference_page(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    for path in ("/api/v1/accounts", "/api/v1/accounts/{account_id}", "/api/v1/value-entries",
                 "/api/v1/stakeholders", "/api/v1/commitments", "/api/v1/pulses"):
        assert path in spec["paths"], path
    create = spec["components"]["schemas"]["ValueEntryCreate"]
    assert {"account", "title", "amount", "delivered_on"} <= set(create["required"])
    page = client.get("/api/v1/").get_data(as_text=True)
    assert "curl" in page and "create_value_entry" in page and "If-Match" in page
    assert "cdn" not in page.lower()


def test_settings_page_creates_shows_once_and_revokes(login_as: Any, cast: Any,
                                                      session: Any, app: Flask) -> None:
    web = login_as(cast.am1)
    form = page_form(web, "/settings/api-tokens", having="name")
    shown = web.post(form.action, data=form.data(name="CRM sync", scope="write"))
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    token = html.split('id="new-token" class="user-select-all">')[1].split("<")[0]
    assert token.startswith("vt_")
    api = app.test_client()
    assert api.get("/api/v1/accounts", headers=_auth(token)).status_code == 200
    again = web.get("/settings/api-tokens").get_data(as_text=True)
    assert token not in again and "CRM sync" in again and "active" in again
    forms = [f for f in rendered_forms(again) if f.action.endswith("/revoke")]
    assert len(forms) == 1
    assert web.post(forms[0].action, data=forms[0].data()).status_code == 302
    assert api.get("/api/v1/accounts", headers=_auth(token)).status_code == 401
    row = session.exec(select(ApiToken)).one()
    session.refresh(row)
    assert row.revoked_at is not None
    # Someone else's token: 404.
    other = login_as(cast.am2)
    assert other.post(forms[0].action, data={}).status_code == 404


def test_deals_with_competitors(client: Any, cast: Any, session: Any) -> None:
    token = _token(session, cast.am1)
    deal = client.post("/api/v1/deals", headers=_auth(token), json={
        "account": "acme-corp", "name": "Acme renewal 2027", "outcome": "open",
        "amount": "50000", "competitors": ["Initech", "Umbrella"],
        "primary_competitor": "Initech"})
    assert deal.status_code == 201, deal.json
    item = deal.json
    assert item["account"] == "acme-corp" and item["owner_id"] == cast.am1.id
    assert item["competitors"] == ["Initech", "Umbrella"]
    assert item["primary_competitor"] == "Initech"
    won = client.patch(f"/api/v1/deals/{item['id']}", headers={**_auth(token),
                                                              "If-Match": '"1"'},
                       json={"outcome": "won", "closed_on": "2026-11-15"})
    assert won.status_code == 200, won.json
    assert won.json["outcome"] == "won" and won.json["competitors"] == ["Initech", "Umbrella"]
    outsider = client.post("/api/v1/deals", headers=_auth(_token(session, cast.am2)),
                           json={"account": "acme-corp", "name": "Sneaky", "outcome": "open"})
    assert outsider.status_code == 422  # not one of their accounts: the form's choice check
    assert outsider.json["errors"][0]["field"] == "account"
    listed = client.get("/api/v1/deals?outcome=won", headers=_auth(token)).json
    assert [d["name"] for d in listed["items"]] == ["Acme renewal 2027"]
    leader = _token(session, cast.leader)
    assert client.post("/api/v1/deals", headers=_auth(leader),
                       json={"name": "x", "outcome": "open"}).status_code == 403


def test_summaries_metadata_and_pdf(app: Flask, client: Any, cast: Any, session: Any) -> None:
    from pathlib import Path

    from valuetracker.models import ValueSummary

    folder = Path(app.config["REPORTS_DIR"]) / "2026-Q3" / "acme-corp"
    folder.mkdir(parents=True)
    (folder / "carol.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    summary = ValueSummary(account_id=cast.account1.id, stakeholder_id=cast.stakeholder1.id,
                           quarter="2026-Q3", file_path="2026-Q3/acme-corp/carol.pdf",
                           sha256="0" * 64)
    session.add(summary)
    session.commit()
    token = _token(session, cast.leader, "read")  # leaders read every account's summaries
    listed = client.get("/api/v1/summaries?account=acme-corp&quarter=2026-Q3",
                        headers=_auth(token)).json
    assert [s["id"] for s in listed["items"]] == [summary.id]
    pdf = client.get(listed["items"][0]["pdf"], headers=_auth(token))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    outsider = _token(session, cast.am2, "read")
    assert client.get(f"/api/v1/summaries/{summary.id}/pdf",
                      headers=_auth(outsider)).status_code == 404


def test_interviews_for_the_program_never_naming_the_anonymous(
        client: Any, cast: Any, session: Any) -> None:
    from valuetracker.models import InterviewQuote

    from .factories import make_deal, make_interview

    deal = make_deal(session, cast.account1, outcome="won", owner_id=cast.am1.id)
    hidden = make_interview(session, deal, cast.stakeholder1, anonymity="anonymized")
    named = make_interview(session, deal, cast.stakeholder1, anonymity="named")
    session.add(InterviewQuote(interview_id=hidden.id, text="Onboarding was quick.",
                               tags="speed; onboarding"))
    session.commit()
    token = _token(session, cast.analyst, "read")
    listed = client.get(f"/api/v1/interviews?deal={deal.id}", headers=_auth(token))
    assert listed.status_code == 200
    items = {i["id"]: i for i in listed.json["items"]}
    assert "Carol" not in json.dumps(items[hidden.id])
    assert items[hidden.id]["stakeholder_id"] is None
    assert items[hidden.id]["quotes"] == [{"text": "Onboarding was quick.", "factor_id": None,
                                           "tags": ["speed", "onboarding"]}]
    assert items[named.id]["interviewee"].startswith("Carol Buyer")
    one = client.get(f"/api/v1/interviews/{hidden.id}", headers=_auth(token)).json
    assert "Carol" not in json.dumps(one)
    # Account managers do not read the program (interviewees may be promised anonymity).
    am = _token(session, cast.am1, "read")
    assert client.get("/api/v1/interviews", headers=_auth(am)).status_code == 403
    assert client.get(f"/api/v1/interviews/{hidden.id}", headers=_auth(am)).status_code == 403


def test_a_described_entry_is_reviewed_on_the_value_page_before_the_api_changes_it(
        client: Any, cast: Any, session: Any) -> None:
    from valuetracker.value.described import describe_value

    entry = describe_value(session, cast.account1, "You cut our month-end close in half.",
                           stakeholder_id=cast.stakeholder1.id)
    session.commit()
    url = f"/api/v1/value-entries/{entry.id}"
    body = {"evidence_status": "confirmed"}
    read = client.patch(url, headers={**_auth(_token(session, cast.am1, "read")),
                                      "If-Match": '"1"'}, json=body)
    assert read.status_code == 403  # the token's scope is checked first
    missing = client.patch(f"/api/v1/value-entries/{entry.id + 999}",
                           headers={**_auth(_token(session, cast.am1)), "If-Match": '"1"'},
                           json=body)
    assert missing.status_code == 404
    refused = client.patch(url, headers={**_auth(_token(session, cast.am1)),
                                         "If-Match": '"1"'}, json=body)
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    assert "review it on the value page first" in refused.json["detail"]
    session.refresh(entry)
    assert entry.evidence_status == "described"
