"""Webhook deliveries: Standard Webhooks signatures a receiver's library verifies, the
outbox written in the writer's transaction, retries with backoff against a failing
receiver, disabling an endpoint that keeps failing (and mailing its owner), the address
rules (no request forgery), no redirects, a time limit, and replay. The receiver is a real
HTTP server on loopback; the drain is the worker's own function, run here in-process
with the schedule's clock given (`test_webhooks_worker.py` runs a real worker)."""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlmodel import Session, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from valuetracker import stakeholders, webhooks
from valuetracker.db import session_scope
from valuetracker.models import AuditEvent, WebhookDelivery, WebhookEndpoint, utcnow
from valuetracker.webhooks import delivery as sending
from valuetracker.webhooks.delivery import DrainRun, drain

from .conftest import Cast, Inbox, Receiver, free_port


@pytest.fixture
def allow_private(app: Flask) -> None:
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = True


def _endpoint(session: Session, url: str, *names: str, user: Any = None) -> WebhookEndpoint:
    endpoint = webhooks.add_endpoint(session, url=url, event_names=names or ["stakeholder.left"],
                                     user=user, allow_private=True)
    session.commit()
    return endpoint


def _drain(app: Flask, now: datetime | None = None) -> DrainRun:
    with app.app_context(), session_scope(app.extensions["valuetracker.engine"]) as s:
        return drain(s, now=now)


def _deliveries(session: Session) -> list[WebhookDelivery]:
    session.expire_all()
    return list(session.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)).all())


def _leave(session: Session, cast: Cast) -> None:
    """A real write that emits stakeholder.left."""
    assert stakeholders.set_flag(session, cast.stakeholder1, "left", True, user=cast.am1)
    session.commit()


def test_a_delivery_is_signed_so_a_standard_webhooks_library_verifies_it(
        app: Flask, session: Session, cast: Cast, receiver: Receiver,
        allow_private: None) -> None:
    endpoint = _endpoint(session, receiver.url + "/hook", "stakeholder.left", user=cast.admin)
    assert endpoint.secret.startswith("whsec_")
    _leave(session, cast)
    assert _drain(app).delivered == 1

    [(path, headers, body)] = receiver.requests
    assert path == "/hook"
    lowered = {k.lower(): v for k, v in headers.items()}
    assert lowered["webhook-id"].startswith("msg_")
    assert lowered["webhook-signature"].startswith("v1,")
    assert lowered["content-type"] == "application/json"
    payload = Webhook(endpoint.secret).verify(body, lowered)
    assert payload["type"] == "stakeholder.left"
    datetime.fromisoformat(payload["timestamp"])
    assert payload["data"] == {
        "account_id": cast.account1.id, "object": "stakeholder",
        "object_id": cast.stakeholder1.id, "actor_id": cast.am1.id, "name": "Carol Buyer",
        "is_key": True, "buying_role": "economic_buyer", "via": "web"}

    # Another secret, or a changed body, does not verify.
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(body, lowered)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(body.replace(b"Carol", b"Carl"), lowered)

    [row] = _deliveries(session)
    assert (row.status, row.attempt, row.response_code) == ("delivered", 1, 200)
    assert row.duration_ms is not None and row.next_attempt_at is None


def test_only_enabled_endpoints_that_subscribed_get_the_event(
        app: Flask, session: Session, cast: Cast, receiver: Receiver,
        allow_private: None) -> None:
    wanted = _endpoint(session, receiver.url + "/hook", "stakeholder.left", "deal.closed")
    _endpoint(session, receiver.url + "/other", "deal.closed")
    off = _endpoint(session, receiver.url + "/off", "stakeholder.left")
    assert webhooks.set_enabled(session, off, False)
    session.commit()
    _leave(session, cast)
    assert [(d.endpoint_id, d.event) for d in _deliveries(session)] == [
        (wanted.id, "stakeholder.left")]


def test_the_outbox_row_is_saved_with_the_change_or_not_at_all(
        session: Session, cast: Cast, receiver: Receiver) -> None:
    _endpoint(session, receiver.url + "/hook", "stakeholder.left")
    assert stakeholders.set_flag(session, cast.stakeholder1, "left", True, user=cast.am1)
    session.rollback()
    assert _deliveries(session) == []
    _leave(session, cast)
    assert len(_deliveries(session)) == 1


def test_a_failing_receiver_is_retried_with_backoff_and_the_log_truncated(
        app: Flask, session: Session, cast: Cast, receiver: Receiver,
        allow_private: None) -> None:
    endpoint = _endpoint(session, receiver.url + "/hook")
    _leave(session, cast)
    receiver.statuses = [500, 503]
    t0 = utcnow()
    assert _drain(app, t0).failed == 1
    [row] = _deliveries(session)
    assert (row.status, row.attempt, row.response_code) == ("failed", 1, 500)
    assert row.next_attempt_at == t0 + timedelta(seconds=5)
    assert row.response_body == "x" * sending.RESPONSE_LOG_CHARS  # 5 000 sent
    assert row.error == "HTTP 500"
    session.refresh(endpoint)
    assert endpoint.failing_since == t0 and endpoint.enabled

    assert _drain(app, t0 + timedelta(seconds=4)).attempted == 0  # not due yet
    assert _drain(app, t0 + timedelta(seconds=5)).failed == 1
    [row] = _deliveries(session)
    assert (row.attempt, row.response_code) == (2, 503)
    assert row.next_attempt_at == t0 + timedelta(seconds=5) + timedelta(minutes=1)

    assert _drain(app, row.next_attempt_at).delivered == 1
    [row] = _deliveries(session)
    assert (row.status, row.attempt, row.response_code, row.error) == (
        "delivered", 3, 200, None)
    session.refresh(endpoint)
    assert endpoint.failing_since is None
    # Every attempt carried the same webhook-id and body.
    ids = {h["Webhook-Id"] for _p, h, _b in receiver.requests}
    assert len(receiver.requests) == 3 and len(ids) == 1 and len(set(receiver.bodies())) == 1


def test_the_schedule_spans_about_a_day() -> None:
    total = sum(sending.RETRY_DELAYS, timedelta())
    assert timedelta(hours=20) <= total <= timedelta(hours=28)
    assert all(a < b for a, b in zip(sending.RETRY_DELAYS[:-2], sending.RETRY_DELAYS[1:-1],
                                     strict=True))


def test_an_endpoint_failing_for_a_day_is_disabled_and_its_owner_told(
        smtp: Inbox, app: Flask, session: Session, cast: Cast, receiver: Receiver,
        allow_private: None) -> None:
    endpoint = _endpoint(session, receiver.url + "/hook", user=cast.admin)
    _leave(session, cast)
    receiver.statuses = [500] * 20
    now = utcnow()
    for _attempt in range(sending.MAX_ATTEMPTS):
        run = _drain(app, now)
        assert run.attempted == 1
        [row] = _deliveries(session)
        now = row.next_attempt_at or now
    assert run.dead == 1 and run.disabled == [endpoint.id]
    [row] = _deliveries(session)
    assert (row.status, row.attempt) == ("dead", sending.MAX_ATTEMPTS)
    session.refresh(endpoint)
    assert not endpoint.enabled
    assert "failed over a day" in (endpoint.disabled_reason or "")
    [(to, message)] = smtp.messages
    assert to == [cast.admin.email]
    assert message["Subject"] == f"Webhook endpoint disabled: {endpoint.url}"
    text = message.get_content()
    assert "HTTP 500" in text and f"/admin/webhooks/{endpoint.id}" in text
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "disable")).one()

    # Disabled: new events are not queued for it; enabling clears the failure record.
    assert stakeholders.set_flag(session, cast.stakeholder2, "left", True, user=cast.am2)
    session.commit()
    assert len(_deliveries(session)) == 1
    assert webhooks.set_enabled(session, endpoint, True, user=cast.admin)
    session.commit()
    assert endpoint.disabled_reason is None and endpoint.failing_since is None


def test_failing_without_a_success_for_a_day_disables_too(
        smtp: Inbox, app: Flask, session: Session, cast: Cast, receiver: Receiver,
        allow_private: None) -> None:
    """Many events each failing a little: a day since the last success is enough."""
    endpoint = _endpoint(session, receiver.url + "/hook")  # from the CLI: no owner
    _leave(session, cast)
    receiver.statuses = [500] * 5
    t0 = utcnow()
    _drain(app, t0)
    assert stakeholders.set_flag(session, cast.stakeholder2, "left", True, user=cast.am2)
    session.commit()
    session.execute(sa.update(WebhookDelivery).values(next_attempt_at=t0))
    session.commit()
    run = _drain(app, t0 + timedelta(days=1, minutes=1))
    assert run.disabled == [endpoint.id]
    session.refresh(endpoint)
    assert not endpoint.enabled and "without a success" in (endpoint.disabled_reason or "")
    # No owner recorded: every admin is told.
    assert [to for to, _m in smtp.messages] == [[cast.admin.email]]


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "240.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1",
    "ff02::1"])
def test_private_reserved_and_multicast_addresses_are_refused(address: str) -> None:
    assert sending.refused_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert not sending.refused_address(ipaddress.ip_address(address))


def test_no_request_forgery_without_the_setting(
        app: Flask, session: Session, cast: Cast, receiver: Receiver) -> None:
    """Checked when sending, after DNS: a name resolving to loopback is refused like the
    literal addresses, and nothing reaches the receiver."""
    port = receiver.url.rsplit(":", 1)[1]
    urls = [receiver.url + "/hook", f"http://10.0.0.1:{port}/hook",
            "http://169.254.169.254/latest/meta-data/", f"http://localhost:{port}/hook",
            f"http://[::1]:{port}/hook"]
    for url in urls:
        _endpoint(session, url)
    _leave(session, cast)
    run = _drain(app)
    assert (run.delivered, run.failed) == (0, len(urls))
    assert receiver.requests == []
    rows = _deliveries(session)
    assert all(row.response_code is None and "private or reserved" in (row.error or "")
               for row in rows), [row.error for row in rows]
    assert "localhost resolves to 127.0.0.1" in (rows[3].error or "") or \
        "localhost resolves to ::1" in (rows[3].error or "")

    # And the admin pages refuse an address literal on a private network at once.
    with pytest.raises(webhooks.WebhookError, match="private network"):
        webhooks.add_endpoint(session, url="http://10.0.0.1/hook",
                              event_names=["deal.closed"])


def test_the_setting_allows_loopback(app: Flask, session: Session, cast: Cast,
                                     receiver: Receiver, allow_private: None) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    _endpoint(session, f"http://localhost:{port}/hook")
    _leave(session, cast)
    assert _drain(app).delivered == 1 and len(receiver.bodies()) == 1


@pytest.mark.parametrize("url", ["ftp://example.com/x", "example.com/hook", "http:///x",
                                 "https://user:pw@example.com/", "http://exa mple.com/",
                                 "http://example.com:99999/", ""])
def test_urls_that_are_not_http_endpoints_are_refused(session: Session, url: str) -> None:
    with pytest.raises(webhooks.WebhookError):
        webhooks.add_endpoint(session, url=url, event_names=["deal.closed"])


def test_unknown_or_no_events_are_refused(session: Session) -> None:
    with pytest.raises(webhooks.WebhookError, match="No such event: deal.won"):
        webhooks.add_endpoint(session, url="https://example.com/", event_names=["deal.won"])
    with pytest.raises(webhooks.WebhookError, match="at least one"):
        webhooks.add_endpoint(session, url="https://example.com/", event_names=[])


def test_a_redirect_is_not_followed(app: Flask, session: Session, cast: Cast,
                                    receiver: Receiver, allow_private: None) -> None:
    _endpoint(session, receiver.url + "/moved")
    _leave(session, cast)
    assert _drain(app).failed == 1
    [row] = _deliveries(session)
    assert row.response_code == 302 and row.status == "failed"
    assert (row.error or "").startswith("redirect not followed (Location: ")
    assert [p for p, _h, _b in receiver.requests] == ["/moved"]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def test_an_attempt_is_time_limited(app_config: dict[str, Any], app: Flask,
                                    session: Session, cast: Cast, silent_port: int) -> None:
    app.config.update(WEBHOOKS_ALLOW_PRIVATE=True, WEBHOOKS_TIMEOUT=0.5)
    _endpoint(session, f"http://127.0.0.1:{silent_port}/hook")
    _leave(session, cast)
    assert _drain(app).failed == 1
    [row] = _deliveries(session)
    assert row.response_code is None and "Timeout" in (row.error or "")
    assert row.duration_ms is not None and row.duration_ms < 3000


def test_a_closed_port_is_a_failure_not_a_crash(app: Flask, session: Session, cast: Cast,
                                                allow_private: None) -> None:
    _endpoint(session, f"http://127.0.0.1:{free_port()}/hook")
    _leave(session, cast)
    assert _drain(app).failed == 1
    assert "ConnectError" in (_deliveries(session)[0].error or "")


def test_replay_sends_the_same_event_again(app: Flask, session: Session, cast: Cast,
                                           receiver: Receiver, allow_private: None) -> None:
    endpoint = _endpoint(session, receiver.url + "/hook")
    _leave(session, cast)
    _drain(app)
    [first] = _deliveries(session)
    with app.app_context():
        again = webhooks.replay(session, first, user=cast.admin)
    session.commit()
    assert (again.status, again.replay_of_id, again.event_id) == (
        "pending", first.id, first.event_id)
    assert _drain(app).delivered == 1
    assert len(receiver.bodies()) == 2 and len(set(receiver.bodies())) == 1
    ids = [h["Webhook-Id"] for _p, h, _b in receiver.requests]
    assert ids[0] == ids[1] == first.event_id
    # Each attempt is signed anew and verifies.
    for _p, headers, body in receiver.requests:
        Webhook(endpoint.secret).verify(body, {k.lower(): v for k, v in headers.items()})


def test_a_claimed_delivery_is_not_taken_twice(app: Flask, session: Session, cast: Cast,
                                               receiver: Receiver) -> None:
    _endpoint(session, receiver.url + "/hook")
    _leave(session, cast)
    now = utcnow()
    engine = app.extensions["valuetracker.engine"]
    with session_scope(engine) as one, session_scope(engine) as two:
        first = sending.claim_due(one, now=now)
        second = sending.claim_due(two, now=now)
    assert len(first) == 1 and second == []
    [row] = _deliveries(session)
    # Held for the lease: a worker killed mid-send leaves it to be tried again.
    assert row.attempt == 1 and row.next_attempt_at == now + sending.LEASE


def test_rotating_the_secret_signs_the_next_attempt_with_the_new_one(
        app: Flask, session: Session, cast: Cast, receiver: Receiver,
        allow_private: None) -> None:
    endpoint = _endpoint(session, receiver.url + "/hook")
    old = endpoint.secret
    _leave(session, cast)
    new = webhooks.rotate_secret(session, endpoint, user=cast.admin)
    session.commit()
    assert new != old and new.startswith("whsec_")
    _drain(app)
    [(_p, headers, body)] = receiver.requests
    lowered = {k.lower(): v for k, v in headers.items()}
    Webhook(new).verify(body, lowered)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, lowered)


def test_deleting_an_endpoint_removes_its_log(session: Session, cast: Cast,
                                              receiver: Receiver) -> None:
    endpoint = _endpoint(session, receiver.url + "/hook")
    _leave(session, cast)
    webhooks.delete_endpoint(session, endpoint, user=cast.admin)
    session.commit()
    assert _deliveries(session) == []
    assert session.exec(select(WebhookEndpoint)).all() == []


def test_the_body_is_plain_json_of_type_timestamp_and_data(
        session: Session, cast: Cast, receiver: Receiver) -> None:
    _endpoint(session, receiver.url + "/hook")
    _leave(session, cast)
    [row] = _deliveries(session)
    assert set(json.loads(row.body)) == {"type", "timestamp", "data"}
