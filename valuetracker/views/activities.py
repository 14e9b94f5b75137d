"""The activity timeline of an account and of a stakeholder, and logging activities.

Reading a timeline takes seeing the account; logging, editing and deleting take
changing it (read-only roles: 403; other teams' accounts: 404). Each write view is the
access helper, the form, one write function of `valuetracker.activities`, one commit.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import activities
from ..access import (
    account_access,
    get_activity_for_user,
    stakeholder_access,
)
from ..activities.forms import ActivityForm, show_error
from ..db import get_session
from ..forms import stakeholder_choices
from ..models import ACTIVITY_KINDS, Account, Activity
from ..value import account_stakeholders
from ._request import account_route, edit_page, id_arg, page_arg, require_button, save_edit

bp = Blueprint("activities", __name__)

LOGGED = "logged"  # the type filter's "logged by the team": every activity kind


def _kinds_arg() -> tuple[str, list[str] | None]:
    """The type filter (`?type=call`, or `logged`): (its value, the kinds it keeps). An
    unknown value shows everything."""
    value = request.args.get("type", "").strip()
    if value == LOGGED:
        return value, list(ACTIVITY_KINDS)
    if value in activities.kind_labels(current_user):
        return value, [value]
    return "", None


def _timeline(account: Account, scope: activities.Scope, **context: Any) -> str:
    chosen, kinds = _kinds_arg()
    page = activities.timeline_page(
        get_session(), scope, slug=account.slug, kinds=kinds, number=page_arg(),
        size=int(current_app.config.get("PAGE_SIZE", 25)))
    return render_template("activities/timeline.html", account=account, page=page,
                           chosen=chosen, kinds=activities.kind_labels(current_user),
                           logged=LOGGED, **context)


@bp.route("/accounts/<slug>/timeline")
@login_required
def account_timeline(slug: str) -> str:
    account, can_edit = account_access(get_session(), current_user, slug)
    scope = activities.Scope(account_id=account.id, user=current_user)
    return _timeline(account, scope, person=None, can_edit=can_edit,
                     pager_args={"slug": account.slug})


@bp.route("/stakeholders/<int:stakeholder_id>/timeline")
@login_required
def stakeholder_timeline(stakeholder_id: int) -> str:
    person, account, can_edit = stakeholder_access(get_session(), current_user, stakeholder_id)
    scope = activities.Scope(account_id=account.id, stakeholder_ids=(person.id,),
                             user=current_user)
    return _timeline(account, scope, person=person, can_edit=can_edit,
                     pager_args={"stakeholder_id": person.id})


def _form(account: Account, activity: Activity | None = None) -> ActivityForm:
    form = ActivityForm(obj=activity)
    people = account_stakeholders(get_session(), account_id=account.id)
    form.stakeholder_ids.choices = stakeholder_choices(people)
    return form


def _back(account: Account, person_id: int | None, people: list[int]) -> str:
    """Back to the person's timeline when the form was opened from it, else the account's."""
    if person_id is not None and person_id in people:
        return url_for("activities.stakeholder_timeline", stakeholder_id=person_id)
    return url_for("activities.account_timeline", slug=account.slug)


@account_route(bp, "/accounts/<slug>/activities/new", methods=["GET", "POST"], write=True)
def new(account: Account) -> Any:
    session = get_session()
    form = _form(account)
    # "Log activity" on a person's page: them, chosen already (if they are at the account).
    person_id = id_arg("with")
    if str(person_id) not in {c.value for c in form.stakeholder_ids.choices}:
        person_id = None
    if not form.is_submitted() and person_id is not None:
        form.stakeholder_ids.data = [person_id]
    if form.validate_on_submit():
        try:
            activities.log_activity(session, account, form.data_dict(),
                                    stakeholder_ids=form.people(), user=current_user)
        except activities.ActivityError as exc:
            session.rollback()
            show_error(form, exc)
        else:
            session.commit()
            flash(f"{ACTIVITY_KINDS[form.kind.data]} logged.", "success")
            return redirect(_back(account, person_id, form.people()))
    return render_template("activities/form.html", account=account, form=form, activity=None,
                           cancel=_back(account, person_id, [person_id] if person_id else []))


@account_route(bp, "/accounts/<slug>/activities/<int:activity_id>/edit",
               methods=["GET", "POST"], write=True, lookup=get_activity_for_user)
def edit(account: Account, activity: Activity) -> Any:
    session = get_session()
    form = _form(account, activity)
    if not form.is_submitted():
        form.stakeholder_ids.data = activities.participant_ids(session, activity.id)
    conflict = None
    if form.validate_on_submit():
        saved, conflict = save_edit(
            session, form, activity, entity="activity",
            mine=lambda: activities.log.clean_activity_data(form.data_dict()),
            update=lambda: activities.update_activity(
                session, activity, form.data_dict(), expected_version=form.version.data,
                stakeholder_ids=form.people(), user=current_user))
        if saved:
            session.commit()
            flash(f"{ACTIVITY_KINDS[activity.kind]} saved.", "success")
            return redirect(url_for("activities.account_timeline", slug=account.slug))
    return edit_page("activities/form.html", conflict, account=account, form=form,
                     activity=activity,
                     cancel=url_for("activities.account_timeline", slug=account.slug))


@account_route(bp, "/accounts/<slug>/activities/<int:activity_id>/delete", methods=["POST"],
               write=True, lookup=get_activity_for_user)
def delete(account: Account, activity: Activity) -> Any:
    session = get_session()
    require_button()
    kind = ACTIVITY_KINDS.get(activity.kind, "Activity")
    activities.delete_activity(session, activity, user=current_user)
    session.commit()
    flash(f"{kind} deleted.", "success")
    return redirect(url_for("activities.account_timeline", slug=account.slug))
