"""The bulk step of a list page, shared by every list with bulk actions.

The list's bulk form posts to the list's own URL, query string included, so the same
filters that drew the page pick "all N matching this filter". The first POST (an
action's button) shows the confirmation: how many rows, what will change, and every
row that is refused and why (nothing changes). The confirmation's button posts the
checked selection again with `confirmed=1`: up to a page of rows is done in the
request (one transaction, one commit); more runs as one job with progress
(`bulk.runs`). Either way it is all-or-nothing: if any row is refused, nothing is
written and the refusals are shown.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import bulk
from ..access import require
from ..bulk.forms import BulkForm
from ..db import get_session
from ..forms import choices
from ..jobs import get_huey

# Names shown on the confirmation page (the count is always exact).
SHOWN_ITEMS = 50


def list_route(bp: Blueprint, rule: str, *, bulk_endpoint: str) -> Callable[[Any], Any]:
    """Register a list page with bulk actions: GET `rule` draws the list (the view's own
    endpoint); a POST to the same URL, endpoint `bulk_endpoint`, is its bulk step, so the
    bulk form posts the list's URL with its filters (see the module's docstring)."""

    def register(view: Any) -> Any:
        bp.add_url_rule(rule, view_func=view)
        bp.add_url_rule(rule, endpoint=bulk_endpoint, view_func=view, methods=["POST"])
        return view

    return register


def bulk_form(bulk_list: bulk.BulkList, *, owners: Sequence[tuple[int, str]] = (),
              formdata: Any = ...) -> BulkForm | None:
    """The list page's bulk form, or None when the user may take none of its actions."""
    offered = bulk_list.offered(current_user)
    if not offered:
        return None
    form = BulkForm() if formdata is ... else BulkForm(formdata=formdata)
    form.keep_fields({a.value for a in offered if a.value})
    if getattr(form, "owner_id", None) is not None:
        form.owner_id.choices = choices({str(i): n for i, n in owners}, blank="Choose…")
    form.offered = offered
    return form


def _back() -> str:
    query = urlencode(list(request.args.items(multi=True)))
    return request.path + (f"?{query}" if query else "")


def _refused(form: BulkForm, message: str) -> Any:
    flash(message, "warning")
    return redirect(_back())


def bulk_step(bulk_list: bulk.BulkList, *, matching: Callable[[], list[int]],
              page_size: int, owners: Sequence[tuple[int, str]] = ()) -> Any:
    """Answer the list's bulk POST (see the module's docstring)."""
    session = get_session()
    form = bulk_form(bulk_list, owners=owners)
    require(form is not None)
    if not form.validate_on_submit():
        errors = [e for errs in form.errors.values() for e in errs]
        return _refused(form, " ".join(errors) or "The form expired: try again.")
    action = next((a for a in form.offered if a.key == form.action.data), None)
    if action is None:
        return _refused(form, "Choose what to do with the selection.")
    value, shown = form.value_of(action.value)
    if action.value and value is None:
        field = getattr(form, action.value)
        return _refused(form, f"Choose the {field.label.text.lower()} first.")
    confirmed = form.confirmed.data == "1"
    ids = matching() if form.all_matching.data and not confirmed else form.chosen()
    if not ids:
        return _refused(form, f"Tick the {bulk_list.plural} first, or choose all matching "
                              "this filter.")
    if len(ids) > bulk.MAX_SELECTION:
        return _refused(form, f"{len(ids)} {bulk_list.plural} is more than one action takes "
                              f"({bulk.MAX_SELECTION}): narrow the filter.")
    change = action.change.format(value=shown)
    if not confirmed:
        plan = bulk.inspect(session, current_user, action, ids, value)
        return _confirmation(bulk_list, action, form, plan, change)
    if len(ids) > page_size:
        job = bulk.create_bulk_job(session, user=current_user, bulk_list=bulk_list,
                                   action=action, ids=ids, value=value, change=change,
                                   back=_back())
        session.commit()
        get_huey(current_app._get_current_object()).bulk_run(job.id)  # type: ignore[attr-defined]
        flash(f"{action.label}: {bulk_list.counted(len(ids))} — running as a job.", "info")
        return redirect(url_for("jobs.show", job_id=job.id))
    try:
        plan = bulk.execute(session, current_user, action, ids, value)
    except bulk.Refused as exc:
        session.rollback()
        if exc.problem:
            return _refused(form, f"Nothing was changed: {exc.problem}")
        plan = bulk.inspect(session, current_user, action, ids, value)
        return _confirmation(bulk_list, action, form, plan, change, status=409)
    except (smtplib.SMTPException, OSError) as exc:
        session.rollback()
        current_app.logger.warning("bulk %s: mail failed: %s", action.key, exc)
        return _refused(form, "The mail server did not accept a message: nothing was "
                              "recorded (links already mailed will not open). Try again later.")
    session.commit()
    flash(bulk.report(bulk_list, action, plan, change), "success")
    return redirect(_back())


def _confirmation(bulk_list: bulk.BulkList, action: bulk.Action, form: BulkForm,
                  plan: bulk.Plan, change: str, *, status: int = 200) -> Any:
    """The confirmation step: what will change, or what is refused (nothing changes)."""
    return render_template(
        "bulk/confirm.html", bulk_list=bulk_list, action=action, form=form, plan=plan,
        change=change, back=_back(), post_to=_back(), shown=SHOWN_ITEMS), status
