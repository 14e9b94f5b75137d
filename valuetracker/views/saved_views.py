"""Saved views: save a list as filtered under a name, open, rename and delete one's own.

The menu's "Saved views" (base.html) lists the signed-in user's views
(`saved_views_menu`, kept per user until the saved views change).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from .. import saved_views
from ..access import get_saved_view_for_user
from ..cache import cached
from ..db import get_session
from ..models import SavedView
from ._request import require_button

bp = Blueprint("saved_views", __name__, url_prefix="/views")


class SaveViewForm(FlaskForm):
    """The "Save view" form of a list (`_macros/tables.html` `list_tools`)."""

    name = StringField("Name", validators=[DataRequired(), Length(max=saved_views.NAME_MAX)])
    endpoint = HiddenField(validators=[DataRequired()])
    query = HiddenField()


class RenameViewForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=saved_views.NAME_MAX)])


def view_url(view: SavedView) -> str:
    """Where a saved view opens: its list with its query string."""
    base = url_for(view.endpoint)
    return f"{base}?{view.query}" if view.query else base


def _with_query(base: str, endpoint: str, query: str | None) -> str:
    """Back to the list as it was filtered (its own arguments only)."""
    spec = saved_views.LISTS.get(endpoint)
    kept = saved_views.clean_query(spec, query or "") if spec else ""
    return f"{base}?{kept}" if kept else base


@dataclass(frozen=True)
class MenuView:
    """A saved view as the menu names it (kept between requests: plain values)."""

    id: int
    name: str


def saved_views_menu() -> list[tuple[MenuView, str]]:
    """The signed-in user's views and their URLs, for the menu (read once per request,
    and again only after the saved views change; or a user: an id reused)."""
    if not current_user.is_authenticated:
        return []
    if "saved_views_menu" not in g:
        session = get_session()
        views = cached(session, "saved-views-menu", (current_user.id,),
                       lambda: tuple(MenuView(v.id, v.name)
                                     for v in saved_views.user_views(session, current_user)),
                       tables=("saved_view", "user"))
        g.saved_views_menu = [(v, url_for("saved_views.open_view", view_id=v.id))
                              for v in views]
    return list(g.saved_views_menu)


@bp.app_context_processor
def _menu() -> dict[str, Any]:
    return {"saved_views_menu": saved_views_menu}


@bp.route("")
@login_required
def index() -> str:
    views = saved_views.user_views(get_session(), current_user)
    return render_template("saved_views/index.html",
                           views=[(v, view_url(v), saved_views.LISTS[v.endpoint].title
                                   if v.endpoint in saved_views.LISTS else v.endpoint)
                                  for v in views])


@bp.route("", methods=["POST"])
@login_required
def create() -> Any:
    form = SaveViewForm()
    endpoint = form.endpoint.data or ""
    back = url_for(endpoint) if endpoint in saved_views.LISTS else url_for("saved_views.index")
    if not form.validate_on_submit():
        if "csrf_token" in form.errors or "endpoint" in form.errors:
            abort(400)
        flash("Give the view a name of 1 to 80 characters.", "warning")
        return redirect(_with_query(back, endpoint, form.query.data))
    session = get_session()
    try:
        view = saved_views.save_view(session, current_user, name=form.name.data,
                                     endpoint=endpoint, query=form.query.data or "")
    except saved_views.SavedViewError as exc:
        flash(str(exc), "warning")
        return redirect(_with_query(back, endpoint, form.query.data))
    session.commit()
    flash(f"View “{view.name}” saved: it is in your menu under Saved views.", "success")
    return redirect(view_url(view))


@bp.route("/<int:view_id>")
@login_required
def open_view(view_id: int) -> Any:
    view = get_saved_view_for_user(get_session(), current_user, view_id)
    if view.endpoint not in saved_views.LISTS:
        abort(404)
    return redirect(view_url(view))


@bp.route("/<int:view_id>/rename", methods=["POST"])
@login_required
def rename(view_id: int) -> Any:
    session = get_session()
    view = get_saved_view_for_user(session, current_user, view_id)
    form = RenameViewForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash("Give the view a name of 1 to 80 characters.", "warning")
        return redirect(url_for("saved_views.index"))
    try:
        saved_views.rename_view(session, view, name=form.name.data, user=current_user)
    except saved_views.SavedViewError as exc:
        flash(str(exc), "warning")
        return redirect(url_for("saved_views.index"))
    session.commit()
    flash(f"View renamed to “{view.name}”.", "success")
    return redirect(url_for("saved_views.index"))


@bp.route("/<int:view_id>/delete", methods=["POST"])
@login_required
def delete(view_id: int) -> Any:
    session = get_session()
    view = get_saved_view_for_user(session, current_user, view_id)
    require_button()
    name = view.name
    saved_views.delete_view(session, view, user=current_user)
    session.commit()
    flash(f"View “{name}” deleted.", "success")
    return redirect(url_for("saved_views.index"))

