"""Webhooks end to end: events from a web form, an import and a stakeholder's own link
are queued by the writes and sent by a real `valuetracker worker` (never by the web
request) to a real receiver on loopback, which verifies each signature as any Standard
Webhooks receiver would."""

from __future__ import annotations

import json
import signal
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session, select
from standardwebhooks.webhooks import Webhook

from valuetracker import webhooks
from valuetracker.links import create_link
from valuetracker.models import WebhookDelivery

from .conftest import (
    Cast,
    Receiver,
    run_import,
    start_worker,
    stop_worker,
    wait_until,
)
from .factories.csv_files import write_csv
from .rendered import rendered_form, rendered_forms

pytestmark = pytest.mark.usefixtures("queued_config")


@pytest.fixture
def private_ok(app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The receiver is on loopback: allowed in the web app and in the worker process."""
    app_config["WEBHOOKS_ALLOW_PRIVATE"] = True
    monkeypatch.setenv("VALUETRACKER_WEBHOOKS_ALLOW_PRIVATE", "1")


def _verified(receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    payloads = []
    for _path, headers, body in list(receiver.requests):
        payloads.append(Webhook(secret).verify(body, {k.lower(): v for k, v in headers.items()}))
    return payloads


def test_events_from_a_form_an_import_and_a_link_reach_the_receiver_through_the_worker(
        private_ok: None, receiver: Receiver, app: Flask, session: Session, cast: Cast,
        login_as: Any, client: Any, tmp_path: Any) -> None:
    endpoint = webhooks.add_endpoint(
        session, url=receiver.url + "/hook", user=cast.admin, allow_private=True,
        event_names=["stakeholder.left", "stakeholder.opted_out", "pulse.answered"])
    session.commit()
    with app.test_request_context():
        _link, token = create_link(session, "pulse", stakeholder_id=cast.stakeholder1.id,
                                   account_id=cast.account1.id, created_by_id=cast.am1.id)
    session.commit()

    # 1. The stakeholder answers a pulse through their own link.
    pulse_url = f"/l/pulse/{token}"
    pulse_form = rendered_form(client.get(pulse_url).get_data(as_text=True), having="recommend")
    answer = client.post(pulse_url, data=pulse_form.data(
        satisfaction="4", repurchase_intent="definitely", recommend="9",
        rank_1="productivity", rank_2="risk_reduction", rank_3="revenue_growth"))
    assert answer.status_code == 302

    # 2. The web form: the "left the company" button as the stakeholder page renders it.
    am = login_as(cast.am1)
    page = am.get(f"/stakeholders/{cast.stakeholder1.id}").get_data(as_text=True)
    [form] = [f for f in rendered_forms(page) if f.action.endswith("/flags/left")]
    assert am.post(form.action, data=form.data()).status_code == 302
    # The request only queued it: nothing was sent while it ran.
    assert receiver.requests == []
    queued = session.exec(select(WebhookDelivery)).all()
    assert [(d.event, d.status, d.attempt) for d in queued] == [
        ("pulse.answered", "pending", 0), ("stakeholder.left", "pending", 0)]

    # 3. An import marks someone as left (the CLI import, in its own transaction).
    path = write_csv(tmp_path / "people.csv", ["account", "name", "email", "left_company"],
                     [["Globex", "Omar Ops", "omar@globex.example", "yes"]])
    result = run_import(app.test_cli_runner(), "stakeholders", path)
    assert result.exit_code == 0, result.output

    def delivered() -> bool:
        session.expire_all()
        return [d.status for d in session.exec(select(WebhookDelivery))] == ["delivered"] * 3

    worker = start_worker(app.config | {"REDIS_URL": None}, workers=2)
    try:
        wait_until(delivered, timeout=60, what="three webhook deliveries")
    finally:
        assert stop_worker(worker, signal.SIGTERM) == 0
    payloads = _verified(receiver, endpoint.secret)
    got = sorted((p["type"], p["data"].get("name") or p["data"].get("stakeholder"),
                  p["data"].get("via") or p["data"].get("method")) for p in payloads)
    assert got == [("pulse.answered", "Carol Buyer", "link"),
                   ("stakeholder.left", "Carol Buyer", "web"),
                   ("stakeholder.left", "Omar Ops", "import")]
    rows = session.exec(select(WebhookDelivery)).all()
    assert [(r.status, r.attempt, r.response_code) for r in rows] == [("delivered", 1, 200)] * 3
    assert all(json.loads(r.body)["type"] == r.event for r in rows)
