"""My work: the home page. What needs doing (my open and overdue tasks) and why (my
accounts' new signals, the renewals ahead); leaders and admins see every team's, with a
filter by person."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from .. import tasks
from ..access import sees_everyones_work
from ..db import get_session, id_arg
from ..tasks.forms import AssigneeFilterForm, set_choices

bp = Blueprint("work", __name__)


@bp.route("/")
@login_required
def my_work() -> str:
    session = get_session()
    today = date.today()
    form = None
    assignee_id = None
    if sees_everyones_work(current_user):
        form = AssigneeFilterForm(request.args)
        set_choices(form.assignee, tasks.team_options(session, current_user),
                    blank="Everyone")
        assignee_id = id_arg(request.args.get("assignee"))
        if str(assignee_id) not in {c.value for c in form.assignee.choices}:
            assignee_id = None
            form.assignee.data = ""
    work = tasks.my_work(session, current_user, assignee_id=assignee_id, today=today)
    return render_template("work/index.html", work=work, form=form, today=today,
                           new_signal_days=tasks.queries.NEW_SIGNAL_DAYS,
                           renewal_days=tasks.queries.RENEWAL_DAYS)
