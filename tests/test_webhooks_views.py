"""The admin pages of webhooks (/admin/webhooks) and the `valuetracker webhooks` CLI.
Every button and form is submitted as the page renders it."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlmodel import Session, select

from valuetracker import webhooks
from valuetracker.models import AuditEvent, WebhookDelivery, WebhookEndpoint

from .conftest import Cast
from .rendered import RenderedForm, page_form, rendered_forms

URL = "https://hooks.example.com/valuetracker"


def _button(html: str, action_end: str) -> RenderedForm:
    [form] = [f for f in rendered_forms(html) if f.method == "post"
              and f.action.endswith(action_end)]
    return form


def _endpoint(session: Session, cast: Cast, **kw: Any) -> WebhookEndpoint:
    endpoint = webhooks.add_endpoint(session, url=kw.pop("url", URL),
                                     event_names=kw.pop("events", ["deal.closed"]),
                                     user=cast.admin, **kw)
    session.commit()
    return endpoint


def test_an_admin_adds_an_endpoint_and_sees_the_secret_once(
        login_as: Any, session: Session, cast: Cast) -> None:
    admin = login_as(cast.admin)
    listing = admin.get("/admin/webhooks").get_data(as_text=True)
    assert "No endpoint yet." in listing and 'href="/admin/webhooks/new"' in listing
    assert 'href="/admin/webhooks"' in listing  # in the admin pages' links

    form = page_form(admin, "/admin/webhooks/new", having="url")
    # One checkbox per event, none ticked; enabled ticked.
    assert form.names >= {"url", "description", "events", "enabled"}
    assert form.value("enabled") == "y" and "events" not in dict(form.fields)
    response = admin.post(form.action, data=form.data(
        url=URL, description="CRM sync", events=["value.disputed", "deal.closed"]))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    endpoint = session.exec(select(WebhookEndpoint)).one()
    assert endpoint.secret in html and "it is not shown again" in html
    assert endpoint.events == ["value.disputed", "deal.closed"]  # in EVENTS' order
    assert (endpoint.enabled, endpoint.description, endpoint.created_by_id) == (
        True, "CRM sync", cast.admin.id)
    assert session.exec(select(AuditEvent).where(AuditEvent.entity == "webhook_endpoint")
                        ).one().action == "create"

    for page in ("/admin/webhooks", f"/admin/webhooks/{endpoint.id}",
                 f"/admin/webhooks/{endpoint.id}/edit"):
        shown = admin.get(page).get_data(as_text=True)
        assert endpoint.secret not in shown, page
        assert endpoint.secret_hint in shown or page.endswith("/edit"), page


def test_the_form_names_what_is_wrong(login_as: Any, session: Session, cast: Cast) -> None:
    admin = login_as(cast.admin)
    form = page_form(admin, "/admin/webhooks/new", having="url")
    response = admin.post(form.action, data=form.data(url="ftp://x.example", events=[]))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Use an http:// or https:// URL" in html
    response = admin.post(form.action, data=form.data(url=URL, events=[]))
    assert "Choose at least one event." in response.get_data(as_text=True)
    response = admin.post(form.action, data=form.data(url="http://192.168.0.10/in",
                                                      events=["deal.closed"]))
    assert "private network" in response.get_data(as_text=True)
    assert session.exec(select(WebhookEndpoint)).all() == []


def test_editing_as_the_page_renders_it_and_a_stale_form(
        login_as: Any, session: Session, cast: Cast) -> None:
    endpoint = _endpoint(session, cast, events=["deal.closed", "summary.sent"])
    admin = login_as(cast.admin)
    url = f"/admin/webhooks/{endpoint.id}/edit"
    form = page_form(admin, url)
    assert [v for n, v in form.fields if n == "events"] == ["deal.closed", "summary.sent"]
    response = admin.post(url, data=form.data(url=URL + "/v2", events=["task.created"]))
    assert response.status_code == 302
    session.refresh(endpoint)
    assert (endpoint.url, endpoint.events, endpoint.version) == (
        URL + "/v2", ["task.created"], 2)
    # The old form, saved again: someone saved first.
    stale = admin.post(url, data=form.data(url=URL + "/v3", events=["deal.closed"]))
    assert stale.status_code == 409 and "not saved" in stale.get_data(as_text=True)
    session.refresh(endpoint)
    assert endpoint.url == URL + "/v2"


def test_disable_enable_rotate_and_delete_buttons(login_as: Any, session: Session,
                                                   cast: Cast) -> None:
    endpoint = _endpoint(session, cast)
    old_secret = endpoint.secret
    admin = login_as(cast.admin)
    page = f"/admin/webhooks/{endpoint.id}"

    html = admin.get(page).get_data(as_text=True)
    disable = _button(html, "/disable")
    assert admin.post(disable.action, data=disable.data()).status_code == 302
    session.refresh(endpoint)
    assert not endpoint.enabled

    html = admin.get(page).get_data(as_text=True)
    assert not [f for f in rendered_forms(html) if f.action.endswith("/disable")]
    enable = _button(html, "/enable")
    assert admin.post(enable.action, data=enable.data()).status_code == 302
    session.refresh(endpoint)
    assert endpoint.enabled

    rotate = _button(admin.get(page).get_data(as_text=True), "/rotate")
    response = admin.post(rotate.action, data=rotate.data())
    session.refresh(endpoint)
    assert endpoint.secret != old_secret
    assert response.status_code == 200 and endpoint.secret in response.get_data(as_text=True)

    delete = _button(admin.get(page).get_data(as_text=True), "/delete")
    assert 'data-confirm="Delete this endpoint' in admin.get(page).get_data(as_text=True)
    response = admin.post(delete.action, data=delete.data())
    assert response.status_code == 302 and response.headers["Location"] == "/admin/webhooks"
    assert session.exec(select(WebhookEndpoint)).all() == []
    assert admin.get(page).status_code == 404


def test_the_delivery_log_and_its_replay_button(login_as: Any, session: Session,
                                                cast: Cast) -> None:
    endpoint = _endpoint(session, cast)
    dead = WebhookDelivery(endpoint_id=endpoint.id, event_id="msg_dead", event="deal.closed",
                           body='{"type":"deal.closed"}', status="dead", attempt=9,
                           response_code=503, duration_ms=42, error="HTTP 503",
                           response_body="upstream down")
    waiting = WebhookDelivery(endpoint_id=endpoint.id, event_id="msg_wait",
                              event="deal.closed", body="{}", status="failed", attempt=2,
                              response_code=500)
    session.add_all([dead, waiting])
    session.commit()
    admin = login_as(cast.admin)
    html = admin.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    row = re.search(rf'<tr data-delivery="{dead.id}">.*?</tr>', html, re.S).group(0)
    assert "msg_dead" in row and ">dead<" in row and "503" in row and "42 ms" in row
    assert "upstream down" in row
    # Replay on finished deliveries only (a failed one is still being retried).
    assert len([f for f in rendered_forms(html) if f.action.endswith("/replay")]) == 1
    replay = _button(html, f"/deliveries/{dead.id}/replay")
    response = admin.post(replay.action, data=replay.data())
    assert response.status_code == 302
    again = session.exec(select(WebhookDelivery).where(
        WebhookDelivery.replay_of_id == dead.id)).one()
    assert (again.status, again.event_id, again.body) == ("pending", "msg_dead", dead.body)
    assert "queued again" in admin.get(response.headers["Location"]).get_data(as_text=True)


def test_replay_of_another_endpoints_delivery_is_404(login_as: Any, session: Session,
                                                     cast: Cast) -> None:
    one = _endpoint(session, cast)
    two = _endpoint(session, cast, url=URL + "/two")
    delivery = WebhookDelivery(endpoint_id=two.id, event_id="msg_x", event="deal.closed",
                               body="{}", status="delivered", attempt=1)
    session.add(delivery)
    session.commit()
    admin = login_as(cast.admin)
    assert admin.post(f"/admin/webhooks/{one.id}/deliveries/{delivery.id}/replay"
                      ).status_code == 404


def test_other_roles_may_not_open_the_pages(login_as: Any, session: Session,
                                            cast: Cast) -> None:
    endpoint = _endpoint(session, cast)
    for user in (cast.am1, cast.analyst, cast.leader):
        other = login_as(user)
        assert other.get("/admin/webhooks").status_code == 403
        assert other.post(f"/admin/webhooks/{endpoint.id}/delete").status_code == 403
    assert session.get(WebhookEndpoint, endpoint.id) is not None


def test_cli_add_prints_the_secret_list_and_remove(app: Flask, session: Session,
                                                    cast: Cast) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["webhooks", "add", URL, "--event", "deal.closed",
                                 "--event", "value.disputed", "--owner", cast.admin.email])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    endpoint = session.exec(select(WebhookEndpoint)).one()
    assert secret == endpoint.secret and secret.startswith("whsec_")
    assert endpoint.events == ["value.disputed", "deal.closed"]
    assert endpoint.created_by_id == cast.admin.id

    listed = runner.invoke(args=["webhooks", "list"])
    assert listed.exit_code == 0
    assert f"{endpoint.id}\tenabled\t{URL}\tvalue.disputed,deal.closed" in listed.output
    assert secret not in listed.output

    removed = runner.invoke(args=["webhooks", "remove", str(endpoint.id)])
    assert removed.exit_code == 0 and f"Removed webhook endpoint {URL}." in removed.output
    assert session.exec(select(WebhookEndpoint)).all() == []
    assert "No webhook endpoint." in runner.invoke(args=["webhooks", "list"]).output


def test_cli_errors_exit_non_zero_with_a_message(app: Flask, session: Session,
                                                 cast: Cast) -> None:
    runner = app.test_cli_runner()
    cases = [
        (["webhooks", "add", URL, "--event", "deal.won"], "No such event: deal.won"),
        (["webhooks", "add", "not a url", "--event", "deal.closed"], "http://"),
        (["webhooks", "add", URL], "Missing option '--event'"),
        (["webhooks", "add", "http://127.0.0.1:9/x", "--event", "deal.closed"],
         "private network"),
        (["webhooks", "add", URL, "--event", "deal.closed", "--owner", cast.am1.email],
         "No admin with email"),
        (["webhooks", "remove", "42"], "No webhook endpoint 42."),
    ]
    for args, message in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    assert session.exec(select(WebhookEndpoint)).all() == []
    events = runner.invoke(args=["webhooks", "events"])
    assert "task.created\t" in events.output and "value.confirmed\t" in events.output
