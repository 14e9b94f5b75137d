"""The notifications of the signed-in user: the list, marking read, opening one, the
preferences; and the unsubscribe-from-digest page of the digest mail's link.

A user only ever sees their own notifications (`get_notification_for_user`: 404 for
anyone else's). The unsubscribe page works without signing in, like the stakeholders'
unsubscribe page (views/public.py): the signed token names the user, its GET shows a
button and only the button's POST (CSRF protected) turns the digest off; the mail's
List-Unsubscribe header points at the one-click address (RFC 8058), exempt from CSRF,
whose POST body must say `List-Unsubscribe=One-Click`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlmodel import Session

from ..access import get_notification_for_user
from ..db import get_session
from ..extensions import csrf, limiter
from ..forms import EmptyForm
from ..links import LinkError, digest_unsubscribe_user_id
from ..models import DIGEST_FREQUENCIES, NOTIFICATION_CHANNELS, User
from ..notifications import inbox
from ..notifications.forms import field_name, preferences_form
from ..notifications.preferences import choices, save_preferences, stop_digest
from ..notifications.rules import CHANNELS_OF, RULES
from ..templating import unread_notifications
from ._request import page_arg

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def _public_limit() -> str:
    return str(current_app.config["PUBLIC_RATE_LIMIT"])


def _safe_path(url: str) -> str:
    """A notification's link, only ever a path inside the app."""
    if url.startswith("/") and not url.startswith("//"):
        return request.script_root + url
    return url_for("notifications.index")


@bp.route("")
@login_required
def index() -> str:
    session = get_session()
    unread_only = request.args.get("show") == "unread"
    page = inbox.notifications_page(session, current_user, number=page_arg(),
                                    size=int(current_app.config.get("PAGE_SIZE", 25)),
                                    unread_only=unread_only)
    return render_template("notifications/index.html", page=page, unread_only=unread_only,
                           unread=unread_notifications(),  # the menu's count, reused
                           form=EmptyForm(), safe_path=_safe_path,
                           pager_args={"show": "unread"} if unread_only else {})


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id: int) -> Any:
    session = get_session()
    notification = get_notification_for_user(session, current_user, notification_id)
    if EmptyForm().validate_on_submit():
        inbox.mark_read(session, notification)
        session.commit()
    return redirect(url_for("notifications.index"))


@bp.route("/<int:notification_id>/open", methods=["POST"])
@login_required
def open_notification(notification_id: int) -> Any:
    """Mark it read and go to what it is about."""
    session = get_session()
    notification = get_notification_for_user(session, current_user, notification_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("notifications.index"))
    url = notification.url
    inbox.mark_read(session, notification)
    session.commit()
    return redirect(_safe_path(url))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all() -> Any:
    session = get_session()
    if EmptyForm().validate_on_submit():
        count = inbox.mark_all_read(session, current_user)
        session.commit()
        flash(f"{count} marked read." if count else "Nothing was unread.", "success")
    return redirect(url_for("notifications.index"))


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences() -> Any:
    session = get_session()
    user = session.get(User, current_user.id)
    assert user is not None
    form = preferences_form(choices(session, user), user.digest_frequency)
    if form.validate_on_submit():
        changed = save_preferences(session, user, form.wanted(),
                                   frequency=form.digest_frequency.data, actor=user)
        session.commit()
        flash("Preferences saved." if changed else "Nothing changed.", "success")
        return redirect(url_for("notifications.preferences"))
    return render_template("notifications/preferences.html", form=form, rules=RULES,
                           channels_of=CHANNELS_OF, channels=NOTIFICATION_CHANNELS,
                           field_name=field_name, frequencies=DIGEST_FREQUENCIES)


# -- unsubscribe from the digest (the link in every digest mail) ---------------------


def _unsubscribe_target(session: Session, token: str) -> User | None:
    """The user a token names; None when they are gone. LinkError for a forged token."""
    user = session.get(User, digest_unsubscribe_user_id(token))
    return user if user is not None and user.active else None


def _unsubscribe_page(user: User | None, token: str, code: int = 200) -> tuple[str, int]:
    return render_template("notifications/unsubscribe.html", person=user, token=token,
                           form=EmptyForm(), frequencies=DIGEST_FREQUENCIES), code


def _bad_link() -> tuple[str, int]:
    return render_template("notifications/unsubscribe.html", person=None, token="",
                           form=EmptyForm(), invalid=True,
                           frequencies=DIGEST_FREQUENCIES), 404


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@limiter.limit(_public_limit)
def unsubscribe_digest(token: str) -> Any:
    """GET: what the button will do (or that it is done); POST (the button): no digest."""
    session = get_session()
    try:
        user = _unsubscribe_target(session, token)
    except LinkError:
        return _bad_link()
    form = EmptyForm()
    if user is not None and user.digest_frequency != "off" and form.validate_on_submit():
        stop_digest(session, user)
        session.commit()
        return redirect(url_for("notifications.unsubscribe_digest", token=token))
    return _unsubscribe_page(user, token)


def _one_click_key() -> str:
    return "digest-unsubscribe:" + str((request.view_args or {}).get("token", ""))[:200]


@bp.route("/unsubscribe/<token>/one-click", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(_public_limit, key_func=_one_click_key)
def unsubscribe_digest_one_click(token: str) -> Any:
    """A mail client's one-click unsubscribe (RFC 8058): a POST with the body
    `List-Unsubscribe=One-Click` turns the digest off at once; a GET shows the page."""
    if request.method == "GET":
        return redirect(url_for("notifications.unsubscribe_digest", token=token))
    session = get_session()
    try:
        user = _unsubscribe_target(session, token)
    except LinkError:
        return _bad_link()
    if request.form.get("List-Unsubscribe") != "One-Click":
        return _unsubscribe_page(user, token, 400)
    if user is not None and user.digest_frequency != "off":
        stop_digest(session, user)
        session.commit()
    return _unsubscribe_page(user, token)
