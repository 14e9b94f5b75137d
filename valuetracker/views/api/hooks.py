"""/api/v1/webhooks (admins only, 403 for everyone else): endpoints through the web's
endpoint form (`views.webhooks.EndpointForm`) and `valuetracker.webhooks`' write
functions, the secret answered once (on create and on rotate, as the web page shows it
once), and each endpoint's delivery log. A refused endpoint (`WebhookError`) is a 422
naming its field."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app
from flask_login import current_user
from sqlmodel import select

from ... import webhooks
from ...access import may_administer, require
from ...db import get_session
from ...models import WebhookDelivery, WebhookEndpoint
from ..webhooks import EndpointForm
from . import _core as core
from ._core import Invalid, bp, fields, one
from .spec import doc

ENDPOINT_FIELDS = ("id", "url", "description", "events", "enabled", "failing_since",
                   "disabled_reason", "created_by_id", "version", "created_at", "updated_at")
DELIVERY_FIELDS = ("id", "endpoint_id", "event_id", "event", "status", "attempt",
                   "next_attempt_at", "last_attempt_at", "response_code", "duration_ms",
                   "error", "replay_of_id", "created_at")


def endpoint_item(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """An endpoint as listed and read: never its secret."""
    return fields(endpoint, ENDPOINT_FIELDS)


def _admin() -> None:
    require(may_administer(current_user))


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    _admin()
    endpoint = get_session().get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        abort(404)
    return endpoint


def _allow_private() -> bool:
    return bool(current_app.config.get("WEBHOOKS_ALLOW_PRIVATE"))


def _form(endpoint: WebhookEndpoint | None):  # type: ignore[no-untyped-def]
    return lambda formdata: core.form_of(EndpointForm, formdata, obj=endpoint)


def _refused(exc: webhooks.WebhookError) -> Invalid:
    get_session().rollback()
    return Invalid({exc.field: [str(exc)]})


@bp.get("/webhooks")
@doc("list_webhooks")
def list_webhooks() -> Any:
    """List the webhook endpoints (admins)."""
    _admin()
    return core.listed(select(WebhookEndpoint), WebhookEndpoint.id,
                       lambda rows: [endpoint_item(e) for e in rows],
                       since=WebhookEndpoint.updated_at)


@bp.get("/webhooks/<int:endpoint_id>")
@doc("get_webhook")
def get_webhook(endpoint_id: int) -> Any:
    """Read one endpoint (without its secret)."""
    endpoint = _endpoint(endpoint_id)
    return one(endpoint_item(endpoint), endpoint)


@bp.post("/webhooks")
@doc("create_webhook", write=True, created=True)
def create_webhook() -> Any:
    """Register an endpoint. The answer holds its `secret`, this once."""
    session = core.writing()
    _admin()
    form = core.bind_form(_form(None), core.json_body())
    try:
        endpoint = webhooks.add_endpoint(
            session, url=form.url.data or "", event_names=form.events.data or [],
            enabled=form.enabled.data, description=form.description.data,
            user=current_user, allow_private=_allow_private())
    except webhooks.WebhookError as exc:
        raise _refused(exc) from None
    return core.saved_new(lambda: endpoint,
                          lambda row: {**endpoint_item(row), "secret": row.secret},
                          "api.get_webhook", "endpoint_id")


@bp.patch("/webhooks/<int:endpoint_id>")
@doc("update_webhook", write=True)
def update_webhook(endpoint_id: int) -> Any:
    """Change an endpoint's URL, events, description or `enabled` (only the fields
    given change). If-Match: its ETag."""
    session = core.writing()
    endpoint = _endpoint(endpoint_id)

    def write(form: EndpointForm, version: int) -> None:
        try:
            webhooks.update_endpoint(
                session, endpoint, url=form.url.data or "", event_names=form.events.data or [],
                enabled=form.enabled.data, description=form.description.data,
                expected_version=version, user=current_user, allow_private=_allow_private())
        except webhooks.WebhookError as exc:
            raise _refused(exc) from None

    return core.updated(endpoint, _form(endpoint), write, lambda: endpoint_item(endpoint))


@bp.delete("/webhooks/<int:endpoint_id>")
@doc("delete_webhook", write=True, deleted=True)
def delete_webhook(endpoint_id: int) -> Any:
    """Remove an endpoint and its delivery log. If-Match: its ETag."""
    session = core.writing()
    endpoint = _endpoint(endpoint_id)
    return core.deleted(endpoint,
                        lambda: webhooks.delete_endpoint(session, endpoint, user=current_user))


@bp.post("/webhooks/<int:endpoint_id>/rotate-secret")
@doc("rotate_webhook_secret", write=True)
def rotate_webhook_secret(endpoint_id: int) -> Any:
    """A new secret, used from the next attempt on; the answer holds it, this once."""
    session = core.writing()
    endpoint = _endpoint(endpoint_id)
    secret = webhooks.rotate_secret(session, endpoint, user=current_user)
    session.commit()
    return one({**endpoint_item(endpoint), "secret": secret}, endpoint)


@bp.get("/webhooks/<int:endpoint_id>/deliveries")
@doc("list_webhook_deliveries")
def list_webhook_deliveries(endpoint_id: int) -> Any:
    """An endpoint's delivery log, oldest first (each attempt's status, code, error)."""
    endpoint = _endpoint(endpoint_id)
    return core.listed(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id),
                       WebhookDelivery.id, lambda rows: [fields(d, DELIVERY_FIELDS) for d in rows])
