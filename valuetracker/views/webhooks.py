"""Admins manage webhook endpoints (/admin/webhooks): list, add (the secret shown once),
edit, enable or disable, rotate the secret, delete, and each endpoint's delivery log with
a Replay button. The writes are `valuetracker.webhooks`' functions."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from .. import events, webhooks
from ..access import may_administer, permission_required
from ..db import StaleEditError, get_session
from ..forms import EmptyForm, LineField, choices
from ..models import WebhookDelivery, WebhookEndpoint
from ..pagination import paginate
from ._request import edit_conflict, page_arg

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")

DELIVERY_PAGE_SIZE = 50


class EventsField(SelectMultipleField):
    """The events, one checkbox each."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EndpointForm(FlaskForm):
    url = StringField("URL", validators=[Length(max=2000)],
                      description="Where the events are POSTed (https:// in production).")
    description = LineField("Description", validators=[Length(max=200)],
                            description="Optional: what receives them.")
    events = EventsField("Events", choices=choices(events.EVENTS))
    enabled = BooleanField("Enabled", default=True)
    version = HiddenField()


def _allow_private() -> bool:
    return bool(current_app.config.get("WEBHOOKS_ALLOW_PRIVATE"))


def _get_endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = get_session().get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        abort(404)
    return endpoint


def _refused(form: EndpointForm, exc: webhooks.WebhookError) -> None:
    getattr(form, exc.field, form.url).errors.append(str(exc))


@bp.route("")
@permission_required(may_administer)
def list_endpoints() -> str:
    session = get_session()
    return render_template("admin/webhooks.html",
                           endpoints=webhooks.list_endpoints(session))


@bp.route("/new", methods=["GET", "POST"])
@permission_required(may_administer)
def new_endpoint() -> object:
    form = EndpointForm()
    if form.validate_on_submit():
        session = get_session()
        try:
            endpoint = webhooks.add_endpoint(
                session, url=form.url.data, event_names=form.events.data or [],
                enabled=form.enabled.data, description=form.description.data,
                user=current_user, allow_private=_allow_private())
        except webhooks.WebhookError as exc:
            _refused(form, exc)
        else:
            session.commit()
            # Shown once, in this answer: never in a redirect, a flash or a later page.
            return render_template("admin/webhook_secret.html", endpoint=endpoint,
                                   secret=endpoint.secret, created=True)
    return render_template("admin/webhook_form.html", form=form, endpoint=None)


@bp.route("/<int:endpoint_id>")
@permission_required(may_administer)
def show_endpoint(endpoint_id: int) -> str:
    session = get_session()
    endpoint = _get_endpoint(endpoint_id)
    query = (select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
             .order_by(WebhookDelivery.id.desc()))  # type: ignore[union-attr]
    page = paginate(session, query, number=page_arg(), size=DELIVERY_PAGE_SIZE)
    return render_template("admin/webhook.html", endpoint=endpoint, page=page,
                           event_names=events.EVENTS)


@bp.route("/<int:endpoint_id>/edit", methods=["GET", "POST"])
@permission_required(may_administer)
def edit_endpoint(endpoint_id: int) -> object:
    endpoint = _get_endpoint(endpoint_id)
    form = EndpointForm(obj=endpoint)
    if form.validate_on_submit():
        session = get_session()
        try:
            webhooks.update_endpoint(
                session, endpoint, url=form.url.data, event_names=form.events.data or [],
                enabled=form.enabled.data, description=form.description.data,
                expected_version=form.version.data, user=current_user,
                allow_private=_allow_private())
        except webhooks.WebhookError as exc:
            session.rollback()
            _refused(form, exc)
        except StaleEditError:
            conflict = edit_conflict(session, form, endpoint, {
                "url": form.url.data.strip(), "events": form.events.data or [],
                "enabled": form.enabled.data,
                "description": (form.description.data or "").strip() or None},
                entity="webhook_endpoint")
            return render_template("admin/webhook_form.html", form=form, endpoint=endpoint,
                                   conflict=conflict), 409
        else:
            session.commit()
            flash("Webhook endpoint saved.", "success")
            return redirect(url_for("webhooks.show_endpoint", endpoint_id=endpoint.id))
    return render_template("admin/webhook_form.html", form=form, endpoint=endpoint)


def _set_enabled(endpoint_id: int, enabled: bool) -> object:
    endpoint = _get_endpoint(endpoint_id)
    if EmptyForm().validate_on_submit():
        session = get_session()
        if webhooks.set_enabled(session, endpoint, enabled, user=current_user):
            session.commit()
        flash(f"Webhook endpoint {'enabled' if enabled else 'disabled'}.", "success")
    return redirect(url_for("webhooks.show_endpoint", endpoint_id=endpoint.id))


@bp.route("/<int:endpoint_id>/enable", methods=["POST"])
@permission_required(may_administer)
def enable_endpoint(endpoint_id: int) -> object:
    return _set_enabled(endpoint_id, True)


@bp.route("/<int:endpoint_id>/disable", methods=["POST"])
@permission_required(may_administer)
def disable_endpoint(endpoint_id: int) -> object:
    return _set_enabled(endpoint_id, False)


@bp.route("/<int:endpoint_id>/rotate", methods=["POST"])
@permission_required(may_administer)
def rotate_secret(endpoint_id: int) -> object:
    endpoint = _get_endpoint(endpoint_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("webhooks.show_endpoint", endpoint_id=endpoint.id))
    session = get_session()
    secret = webhooks.rotate_secret(session, endpoint, user=current_user)
    session.commit()
    return render_template("admin/webhook_secret.html", endpoint=endpoint, secret=secret,
                           created=False)


@bp.route("/<int:endpoint_id>/delete", methods=["POST"])
@permission_required(may_administer)
def delete_endpoint(endpoint_id: int) -> object:
    endpoint = _get_endpoint(endpoint_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("webhooks.show_endpoint", endpoint_id=endpoint.id))
    session = get_session()
    url = endpoint.url
    webhooks.delete_endpoint(session, endpoint, user=current_user)
    session.commit()
    flash(f"Webhook endpoint {url} deleted.", "success")
    return redirect(url_for("webhooks.list_endpoints"))


@bp.route("/<int:endpoint_id>/deliveries/<int:delivery_id>/replay", methods=["POST"])
@permission_required(may_administer)
def replay_delivery(endpoint_id: int, delivery_id: int) -> object:
    endpoint = _get_endpoint(endpoint_id)
    delivery = get_session().get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        abort(404)
    if EmptyForm().validate_on_submit():
        session = get_session()
        webhooks.replay(session, delivery, user=current_user)
        session.commit()
        flash(f"Event {delivery.event_id} queued again"
              + ("." if endpoint.enabled else "; it goes out once the endpoint is enabled."),
              "success")
    return redirect(url_for("webhooks.show_endpoint", endpoint_id=endpoint.id))
