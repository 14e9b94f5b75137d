"""Stakeholders of an account: add, view, edit (optimistic locking), flags, export, erase."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.wrappers import Response
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from wtforms import BooleanField, EmailField, HiddenField, SelectField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional, ValidationError

from .. import activities, bulk, personal_data, stakeholders
from ..access import (
    get_stakeholder_for_user,
    require,
    runs_winloss_program,
    stakeholder_access,
)
from ..db import get_session
from ..forms import LineField, choices
from ..listing import YES_NO_CHOICES, Column, ListState, wants_csv
from ..models import BUYING_ROLES, CHANNELS, SENTIMENTS, Account, Stakeholder, slugify
from ..quarters import QuarterError, app_start_month, current_quarter, parse_quarter
from ..summaries.coverage import COVERAGE_FILTERS, coverage_stakeholders
from ..value.metrics import PULSE_GROUPS, latest_pulse_stakeholders
from ._bulk import bulk_form, bulk_step, list_route
from ._request import (
    account_route,
    edit_page,
    file_response,
    list_csv,
    list_state,
    page_arg,
    save_edit,
)

bp = Blueprint("stakeholders", __name__)

INFLUENCE_CHOICES = {"1": "1 – little", "2": "2", "3": "3 – moderate", "4": "4",
                     "5": "5 – decisive"}
FLAG_LABELS = {"key": "key stakeholder", "opted_out": "opted out", "left": "left the company"}
PRIVATE_TEXTS = ("notes", "preferences")


class StakeholderForm(FlaskForm):
    name = LineField("Name", validators=[DataRequired(), Length(max=200)])
    title = LineField("Title", validators=[Optional(), Length(max=200)])
    email = EmailField("Email", validators=[Optional(), Email(), Length(max=255)])
    phone = LineField("Phone", validators=[Optional(), Length(max=60)])
    buying_role = SelectField("Buying role", choices=choices(BUYING_ROLES), default="other")
    influence = SelectField("Influence", choices=choices(INFLUENCE_CHOICES), default="3")
    sentiment = SelectField("Sentiment", choices=choices(SENTIMENTS), default="neutral")
    reports_to_id = SelectField("Reports to")
    is_key = BooleanField("Key stakeholder (gets the quarterly value summary)")
    preferred_channel = SelectField("Preferred channel", choices=choices(CHANNELS, blank="—"))
    preferences = TextAreaField(
        "Preferences", validators=[Optional(), Length(max=5000)],
        description="What they care about and how they like to work "
                    "(e.g. prefers morning calls, wants figures before meetings).")
    notes = TextAreaField("Personal notes", validators=[Optional(), Length(max=5000)],
                          description="Things to remember (e.g. ask about their scuba diving).")
    opted_out = BooleanField("Opted out of messages from us")
    left_company = BooleanField("Left the company")
    external_id = LineField("External id (CRM)", validators=[Optional(), Length(max=100)])
    version = HiddenField()

    account_id: int = 0
    stakeholder_id: int | None = None
    duplicate: Stakeholder | None = None

    def validate_reports_to_id(self, field: SelectField) -> None:
        if field.errors:  # not one of the choices: already refused
            return
        try:
            stakeholders.check_reports_to(
                get_session(), account_id=self.account_id, stakeholder_id=self.stakeholder_id,
                manager_id=int(field.data) if field.data else None)
        except stakeholders.ReportsToError as exc:
            raise ValidationError(str(exc)) from exc

    def validate_email(self, field: EmailField) -> None:
        if field.errors:
            return
        try:
            stakeholders.check_unique_email(get_session(), account_id=self.account_id,
                                            email=field.data, exclude_id=self.stakeholder_id)
        except stakeholders.DuplicateEmailError as exc:
            self.duplicate = exc.person  # the form links to them
            raise ValidationError(str(exc)) from exc

    def validate_external_id(self, field: Any) -> None:
        if stakeholders.external_id_taken(get_session(), account_id=self.account_id,
                                          external_id=field.data,
                                          exclude_id=self.stakeholder_id):
            raise ValidationError("Someone else at this account has this external id.")

    def person_data(self) -> dict[str, Any]:
        data = {name: getattr(self, name).data for name in stakeholders.EDITABLE_FIELDS}
        data["reports_to_id"] = int(data["reports_to_id"]) if data["reports_to_id"] else None
        return data


class FlagForm(FlaskForm):
    on = HiddenField(validators=[AnyOf(["0", "1"])])


def stakeholder_form(account: Account, person: Stakeholder | None, *,
                     formdata: Any = _Auto) -> StakeholderForm:
    """The add/edit form as the page shows it (its choices, the flags of `person`);
    `formdata` None: as rendered, unsubmitted (the API's starting point)."""
    if formdata is _Auto:
        form = StakeholderForm(obj=person)
    else:
        form = StakeholderForm(formdata=formdata, obj=person, meta={"csrf": False})
    form.account_id = account.id
    form.stakeholder_id = person.id if person else None
    managers = stakeholders.manager_choices(get_session(), account,
                                            exclude_id=person.id if person else None)
    form.reports_to_id.choices = choices({str(i): name for i, name in managers},
                                         blank="Nobody here (top of the chart)")
    unsubmitted = formdata is None or (formdata is _Auto and not form.is_submitted())
    if person is not None and unsubmitted:
        form.opted_out.data = person.opted_out_at is not None
        form.left_company.data = person.left_company_at is not None
    return form


def person_to_change(stakeholder_id: int) -> tuple[Stakeholder, Account]:
    """(stakeholder, account) if the user may change them (404, 403 otherwise).

    An erased person's record holds no personal data and takes none again (409).
    """
    person, account, may_edit = stakeholder_access(get_session(), current_user,
                                                   stakeholder_id)
    require(may_edit)
    if person.erased_at is not None:
        abort(409, "This person's data was erased; the record cannot be changed.")
    return person, account


@account_route(bp, "/accounts/<slug>/stakeholders/new", methods=["GET", "POST"], write=True)
def create(account: Account) -> Any:
    session = get_session()
    form = stakeholder_form(account, None)
    if form.validate_on_submit():
        person = stakeholders.create_stakeholder(
            session, account, data=form.person_data(), opted_out=form.opted_out.data,
            left=form.left_company.data, user=current_user)
        session.commit()
        flash(f"{person.name} added to {account.name}.", "success")
        return redirect(url_for("accounts.show", slug=account.slug))
    return render_template("stakeholders/form.html", form=form, account=account, person=None)


PEOPLE_CSV = (
    Column("Name", lambda r: r[0].name), Column("Title", lambda r: r[0].title),
    Column("Account", lambda r: r[1]), Column("E-mail", lambda r: r[0].email),
    Column("Buying role", lambda r: r[0].buying_role),
    Column("Influence", lambda r: r[0].influence),
    Column("Sentiment", lambda r: r[0].sentiment), Column("Key", lambda r: r[0].is_key),
    Column("Left", lambda r: r[0].left_company_at is not None),
    Column("Opted out", lambda r: r[0].opted_out_at is not None),
    Column("Last contacted", lambda r: r[0].last_contacted_on),
)


@list_route(bp, "/stakeholders", bulk_endpoint="bulk")
@login_required
def index() -> Any:
    """The people at the user's accounts, across accounts: filtered, sorted, CSV, and
    the bulk actions on a selection (POST, views/_bulk.py)."""
    session = get_session()
    asked = request.args.get("account", "")
    account_options = stakeholders.account_options(
        session, current_user, include=int(asked) if asked.isdigit() else None)
    state = list_state(stakeholders.STAKEHOLDER_LIST, choices={
        "account": [str(i) for i, _n in account_options], "role": BUYING_ROLES,
        "sentiment": SENTIMENTS, "pulse": PULSE_GROUPS, "coverage": COVERAGE_FILTERS})
    filters = stakeholders.PeopleFilters(
        among=_figure_people(state),
        q=state.get("q", ""),
        account_id=int(state.get("account")) if state.get("account") else None,
        role=state.get("role"), key=state.get("key"), sentiment=state.get("sentiment"),
        left=state.get("left"), opted_out=state.get("opted_out"), sort=state.sort)
    if request.method == "POST":
        return bulk_step(bulk.PEOPLE, page_size=current_app.config["PAGE_SIZE"],
                         matching=lambda: stakeholders.people_ids(session, current_user,
                                                                  filters))
    if wants_csv(request.args):
        return list_csv(stakeholders.STAKEHOLDER_LIST, PEOPLE_CSV,
                        stakeholders.all_people(session, current_user, filters))
    page = stakeholders.list_people(session, current_user, filters, page=page_arg(),
                                    size=current_app.config["PAGE_SIZE"])
    return render_template("stakeholders/index.html", page=page, state=state,
                           args=state.args, account_options=account_options,
                           roles=BUYING_ROLES, sentiments=SENTIMENTS,
                           yes_no=YES_NO_CHOICES,
                           bulk=bulk_form(bulk.PEOPLE, formdata=None))


def _figure_people(state: ListState) -> Any:
    """The people behind a figure the list is filtered by: those whose latest pulse the
    NPS counts (`pulse`), or a quarter's summary coverage (`coverage`, `quarter`; the
    current quarter when none is given). A SELECT of ids, or None."""
    among = None
    if state.get("pulse"):
        among = latest_pulse_stakeholders(state.get("pulse"))
    if state.get("coverage"):
        quarter = current_quarter(app_start_month())
        if state.get("quarter"):
            try:
                quarter = parse_quarter(state.get("quarter"), app_start_month())
            except QuarterError as exc:
                state.notes.append(f"{exc}; coverage of {quarter.label} shown.")
                state.args.pop("quarter", None)
        covered = coverage_stakeholders(quarter, state.get("coverage"))
        among = covered if among is None else covered.where(Stakeholder.id.in_(among))
    return among


@bp.route("/stakeholders/<int:stakeholder_id>")
@login_required
def show(stakeholder_id: int) -> str:
    session = get_session()
    person, account, can_edit = stakeholder_access(session, current_user, stakeholder_id)
    manager = session.get(Stakeholder, person.reports_to_id) if person.reports_to_id else None
    recent = activities.recent_events(
        session, activities.Scope(account_id=account.id, stakeholder_ids=(person.id,),
                                  user=current_user), slug=account.slug)
    return render_template(
        "stakeholders/show.html", person=person, account=account, manager=manager,
        reports=stakeholders.direct_reports(session, person), can_edit=can_edit,
        recent_activity=recent,
    )


@bp.route("/stakeholders/<int:stakeholder_id>/edit", methods=["GET", "POST"])
@login_required
def edit(stakeholder_id: int) -> Any:
    session = get_session()
    person, account = person_to_change(stakeholder_id)
    form = stakeholder_form(account, person)
    conflict = None
    if form.validate_on_submit():
        saved, conflict = save_edit(
            session, form, person, entity="stakeholder", mine=lambda: _compared(form),
            update=lambda: stakeholders.update_stakeholder(
                session, person, data=form.person_data(), expected_version=form.version.data,
                opted_out=form.opted_out.data, left=form.left_company.data,
                user=current_user))
        if saved:
            session.commit()
            flash(f"{person.name} saved.", "success")
            return redirect(url_for("stakeholders.show", stakeholder_id=person.id))
        if conflict is not None and _private_texts_differ(form, person):
            conflict["differences"].append(("Preferences or notes", "changed",
                                            "yours kept below"))
    return edit_page("stakeholders/form.html", conflict, form=form, account=account,
                     person=person)


# Long private texts are not repeated in the edit-conflict table: one row says they differ.
def _compared(form: StakeholderForm) -> dict[str, Any]:
    """The user's input the edit-conflict table compares: all but the private texts."""
    mine = stakeholders.clean_stakeholder_data(form.person_data())
    return {n: v for n, v in mine.items() if n not in PRIVATE_TEXTS}


def _private_texts_differ(form: StakeholderForm, person: Stakeholder) -> bool:
    """Do the saved private texts differ from the user's (`person` reloaded)?"""
    mine = stakeholders.clean_stakeholder_data(form.person_data())
    return any(getattr(person, n) != mine.get(n) for n in PRIVATE_TEXTS)


@bp.route("/stakeholders/<int:stakeholder_id>/flags/<any(key, opted_out, left):flag>",
          methods=["POST"])
@login_required
def set_flag(stakeholder_id: int, flag: str) -> Any:
    session = get_session()
    person, _account = person_to_change(stakeholder_id)
    form = FlagForm()
    if not form.validate_on_submit():
        abort(400)
    on = form.on.data == "1"
    if stakeholders.set_flag(session, person, flag, on, user=current_user):
        session.commit()
        flash(f"{person.name} {'marked' if on else 'no longer marked'} as "
              f"{FLAG_LABELS[flag]}.", "success")
    return redirect(url_for("stakeholders.show", stakeholder_id=person.id))


@bp.route("/stakeholders/<int:stakeholder_id>/export", methods=["POST"])
@login_required
def export(stakeholder_id: int) -> Response:
    """Download everything held about the person as JSON (POST: it is audited)."""
    session = get_session()
    person = get_stakeholder_for_user(session, current_user, stakeholder_id, write=True)
    # Interviews only for those who run the program (anonymity; see export_stakeholder).
    data = personal_data.export_stakeholder(
        session, person, include_interviews=runs_winloss_program(current_user))
    personal_data.record_export(session, person)
    session.commit()
    return file_response(json.dumps(data, indent=2, ensure_ascii=False),
                         filename=f"stakeholder-{person.id}-{slugify(person.name)}.json",
                         mimetype="application/json")


class EraseForm(FlaskForm):
    confirm = BooleanField("I understand this cannot be undone", validators=[
        DataRequired("Tick the box to confirm the erasure.")])


@bp.route("/stakeholders/<int:stakeholder_id>/erase", methods=["GET", "POST"])
@login_required
def erase(stakeholder_id: int) -> Any:
    session = get_session()
    person, account = person_to_change(stakeholder_id)
    form = EraseForm()
    if form.validate_on_submit():
        personal_data.erase_stakeholder(session, person)
        session.commit()
        flash("Personal data erased; the person no longer appears in the account's lists.",
              "success")
        return redirect(url_for("accounts.show", slug=account.slug))
    return render_template("stakeholders/erase.html", form=form, person=person, account=account)
