"""Accounts: the list, the account page, create, edit (optimistic locking), archive."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DateField, Form, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from .. import accounts, activities, bulk, signals, stakeholders, summaries, tasks, value, winloss
from ..access import (
    account_access,
    account_scope,
    may_edit_accounts,
    may_manage_team,
    permission_required,
    sees_all_accounts,
)
from ..cache import cached
from ..db import get_session
from ..forms import LineField, MoneyField, choices, date_in_range
from ..listing import Column, wants_csv
from ..models import ACCOUNT_STATUSES, SEVERITIES, TIERS, Account, Signal, label
from ._bulk import bulk_form, bulk_step, list_route
from ._request import account_route, edit_page, list_csv, list_state, page_arg, save_edit

bp = Blueprint("accounts", __name__)

STATUS_FILTER_CHOICES = {"": "Open (not archived)", **{s: label(s) for s in ACCOUNT_STATUSES},
                         accounts.STATUS_ALL: "All, including archived"}


def _money(label_text: str) -> MoneyField:
    return MoneyField(label_text, validators=[Optional()])


class AccountForm(FlaskForm):
    name = LineField("Name", validators=[DataRequired(), Length(max=200)])
    segment = LineField("Segment", validators=[Optional(), Length(max=80)],
                          render_kw={"list": "segment-options"},
                          description="For example Enterprise, Mid-market, SMB, Public sector.")
    industry = LineField("Industry", validators=[Optional(), Length(max=80)])
    tier = SelectField("Tier", choices=choices(TIERS), default="standard")
    status = SelectField("Status", choices=choices(ACCOUNT_STATUSES), default="active")
    annual_revenue = _money("Annual revenue")
    cost_to_serve = _money("Annual cost to serve")
    renewal_date = DateField("Renewal date", validators=[Optional(), date_in_range])
    external_id = LineField("External id (CRM)", validators=[Optional(), Length(max=100)])
    owner_id = SelectField("Owner", default="")
    member_ids = SelectMultipleField("Team members",
                                     description="Team members may edit the account too.")
    version = HiddenField()

    account_id: int | None = None

    def validate_name(self, field: StringField) -> None:
        if accounts.name_taken(get_session(), field.data, exclude_id=self.account_id):
            raise ValidationError("Another account already has this name.")

    def validate_external_id(self, field: StringField) -> None:
        if field.data and field.data.strip() and accounts.external_id_taken(
                get_session(), field.data, exclude_id=self.account_id):
            raise ValidationError("Another account already has this external id.")

    def account_data(self) -> dict[str, Any]:
        return {name: getattr(self, name).data for name in accounts.EDITABLE_FIELDS}

    def team(self) -> tuple[int | None, list[int]]:
        owner = (int(self.owner_id.data)
                 if self.owner_id.data and self.owner_id.data != KEPT_OWNER else None)
        return owner, [int(m) for m in self.member_ids.data or []]

    def keeps_owner_name(self) -> bool:
        """The owner select still names the rep kept from an import (not a user)."""
        return self.owner_id.data == KEPT_OWNER


class AccountFilterForm(Form):
    """The list's GET filters, as the page shows them; `listing.read_state` reads them
    (an unknown value is ignored with a note)."""

    q = StringField("Search", validators=[Optional(), Length(max=200)])
    segment = SelectField("Segment")
    tier = SelectField("Tier", choices=choices(TIERS, blank="All tiers"))
    status = SelectField("Status", choices=choices(STATUS_FILTER_CHOICES))
    owner = SelectField("Owner")


ACCOUNT_CSV = (
    Column("Name", lambda r: r[0].name), Column("Segment", lambda r: r[0].segment),
    Column("Industry", lambda r: r[0].industry), Column("Tier", lambda r: r[0].tier),
    Column("Status", lambda r: r[0].status),
    Column("Owner", lambda r: r[1] or r[0].owner_name),
    Column("Annual revenue", lambda r: r[0].annual_revenue),
    Column("Cost to serve", lambda r: r[0].cost_to_serve),
    Column("Margin", lambda r: r[0].margin),
    Column("Renewal date", lambda r: r[0].renewal_date),
    Column("External id", lambda r: r[0].external_id),
)


@list_route(bp, "/accounts", bulk_endpoint="bulk")
@login_required
def index() -> Any:
    session = get_session()
    form = AccountFilterForm(request.args)
    segments = accounts.segment_options(session, current_user)
    form.segment.choices = choices({s: s for s in segments}, blank="All segments")
    form.owner.choices = choices({str(uid): name for uid, name in
                                  accounts.owner_options(session, current_user)},
                                 blank="Any owner")
    state = list_state(accounts.ACCOUNT_LIST, form,
                       choices={"health": signals.HEALTH_FILTERS})
    health = state.get("health")
    filters = accounts.AccountFilters(
        q=state.get("q", ""), segment=state.get("segment", ""), tier=state.get("tier", ""),
        status=state.get("status", ""), sort=state.sort,
        health=signals.health_condition(session, health) if health else None,
        owner_id=int(state.get("owner")) if state.get("owner") else None)
    owners = [(u.id, u.name) for u in accounts.team_candidates(session)]
    if request.method == "POST":  # a bulk action on the selection (views/_bulk.py)
        return bulk_step(bulk.ACCOUNTS, owners=owners, page_size=current_app.config[
            "PAGE_SIZE"], matching=lambda: accounts.account_ids(session, current_user, filters))
    if wants_csv(request.args):
        return list_csv(accounts.ACCOUNT_LIST, ACCOUNT_CSV,
                        accounts.all_accounts(session, current_user, filters))
    page = accounts.list_accounts(session, current_user, filters,
                                  page=page_arg(),
                                  size=current_app.config["PAGE_SIZE"])
    return render_template(
        "accounts/index.html", form=form, page=page, filters=filters, state=state,
        args=state.args, sort_args=state.sort_args,
        may_create=may_edit_accounts(current_user),
        bulk=bulk_form(bulk.ACCOUNTS, owners=owners, formdata=None),
    )


# What the account page's summaries panel reads (coverage, its distributions and PDFs).
_SUMMARIES_PANEL_TABLES = ("account", "stakeholder", "distribution", "value_summary",
                           "setting")


@bp.route("/accounts/<slug>")
@login_required
def show(slug: str) -> str:
    session = get_session()
    account, can_edit = account_access(session, current_user, slug)
    owner, members = accounts.team(session, account)
    today = date.today()
    rows = stakeholders.account_stakeholders(session, account, today)
    health = signals.account_health(session, account, today=today)
    return render_template(
        "accounts/show.html",
        account=account, owner=owner, members=members, facts=accounts.facts(account),
        rows=rows, tree=stakeholders.org_tree(rows),
        warnings=stakeholders.coverage_warnings(rows),
        can_edit=can_edit, can_manage_team=can_edit and may_manage_team(current_user, account),
        # The two figure panels hold plain values: kept until the data changes (the
        # value panel: until this account's rows change; the summaries panel: until the
        # tables it reads change, not at a value entry).
        value_overview=cached(session, "account-value-panel", (account.id, today),
                              lambda: value.account_panel(session, account, today=today),
                              account=account.id),
        winloss_overview=winloss.account_overview(session, account),
        summaries_overview=cached(session, "account-summaries-panel", (account.id, today),
                                  lambda: summaries.account_overview(session, account),
                                  tables=_SUMMARIES_PANEL_TABLES),
        health=health, health_trend=signals.trend_chart(health),
        recent_activity=activities.recent_events(
            session, activities.Scope(account_id=account.id, user=current_user),
            slug=account.slug),
        tasks_overview=tasks.list_tasks(session, current_user,
                                        tasks.TaskFilters(account_slug=account.slug),
                                        size=5, today=today),
        today=today,
    )


# The signals list's CSV: the rows behind a health score (100 − their weights, never
# under 0) when filtered to one account, heaviest first as the account page lists them.
SIGNAL_CSV = (
    Column("Account", lambda o: o.account_name),
    Column("Signal", lambda o: o.label), Column("Severity", lambda o: o.signal.severity),
    Column("Message", lambda o: o.signal.message), Column("Since", lambda o: o.signal.since),
    Column("Weight", lambda o: o.weight), Column("Next step", lambda o: o.next_step),
)


@bp.route("/signals")
@login_required
def signal_list() -> Any:
    """The open signals of the user's accounts: sorted, filtered, CSV. Filtered to one
    account, they are the rows its health score is taken from."""
    session = get_session()
    scope = account_scope(current_user, Signal.account_id)
    asked = request.args.get("account", "")
    options = signals.signal_account_options(
        session, account_scope(current_user, Account.id),
        include=int(asked) if asked.isdigit() and len(asked) < 12 else None)
    state = list_state(signals.SIGNAL_LIST, choices={
        "account": [str(i) for i, _n in options], "kind": signals.KINDS,
        "severity": SEVERITIES})
    filters = signals.SignalFilters(
        account_id=int(state.get("account")) if state.get("account") else None,
        kind=state.get("kind"), severity=state.get("severity"),
        since_from=state.get("since_from"), since_to=state.get("since_to"), sort=state.sort)
    if wants_csv(request.args):
        return list_csv(signals.SIGNAL_LIST, SIGNAL_CSV,
                        signals.all_signals(session, scope, filters))
    account = (session.get(Account, filters.account_id)
               if filters.account_id is not None else None)
    return render_template(
        "signals/list.html", state=state, args=state.args, account_options=options,
        kinds=signals.KINDS, severities=SEVERITIES, account=account,
        health=signals.account_health(session, account) if account is not None else None,
        page=signals.list_signals(session, scope, filters, page=page_arg(),
                                  size=current_app.config["PAGE_SIZE"]))


@bp.route("/accounts/<slug>/signals")
@login_required
def account_signals(slug: str) -> Any:
    """The account's open signals: the signals list filtered to it (404 outside scope)."""
    account, _can_edit = account_access(get_session(), current_user, slug)
    return redirect(url_for("accounts.signal_list",
                            **{**request.args.to_dict(), "account": account.id}))


KEPT_OWNER = "kept"  # the owner select's value for a name kept from an import


def _team_choices(form: AccountForm, account: Account | None = None) -> None:
    candidates = accounts.team_candidates(get_session())
    people = {str(u.id): f"{u.name} ({u.role_label})" for u in candidates}
    owners = dict(people)
    if account is not None and account.owner_name and account.owner_id is None:
        owners[KEPT_OWNER] = f"{account.owner_name} (not a user)"
        if request.method == "GET":
            form.owner_id.data = KEPT_OWNER
    form.owner_id.choices = choices(owners, blank="No owner")
    form.member_ids.choices = choices(people)


@bp.route("/accounts/new", methods=["GET", "POST"])
@permission_required(may_edit_accounts)
def create() -> Any:
    session = get_session()
    form = AccountForm()
    choose_team = may_manage_team(current_user, None)
    if choose_team:
        _team_choices(form)
    else:
        # An account manager creates accounts they own; the owner manages the team later.
        del form.owner_id
        del form.member_ids
    if form.validate_on_submit():
        if choose_team:
            owner_id, members = form.team()
        else:
            owner_id, members = current_user.id, []
        account = accounts.create_account(session, data=form.account_data(),
                                          owner_id=owner_id, member_ids=members,
                                          user=current_user)
        if _commit_or_field_error(form):
            flash(f"Account {account.name} created.", "success")
            return redirect(url_for("accounts.show", slug=account.slug))
    return render_template("accounts/form.html", form=form, account=None,
                           segments=accounts.segment_options(session, current_user))


@account_route(bp, "/accounts/<slug>/edit", methods=["GET", "POST"], write=True)
def edit(account: Account) -> Any:
    session = get_session()
    manage_team = may_manage_team(current_user, account)
    form = AccountForm(obj=account)
    form.account_id = account.id
    if manage_team:
        _team_choices(form, account)
        if request.method == "GET":
            form.member_ids.data = [str(m) for m in accounts.member_ids(session, account)]
    else:
        del form.owner_id
        del form.member_ids
    conflict = None
    if form.validate_on_submit():
        owner_id, members = form.team() if manage_team else (None, [])
        if manage_team and not sees_all_accounts(current_user) and \
                owner_id != current_user.id and current_user.id not in members:
            # Handing the account over keeps the old owner on the team (not locked out).
            members.append(current_user.id)
        saved, conflict = save_edit(
            session, form, account, entity="account",
            mine=lambda: accounts.clean_account_data(form.account_data()),
            update=lambda: accounts.update_account(
                session, account, data=form.account_data(), expected_version=form.version.data,
                owner_id=owner_id, member_ids=members, change_team=manage_team,
                keep_owner_name=manage_team and form.keeps_owner_name(), user=current_user))
        if saved and _commit_or_field_error(form):
            flash(f"Account {account.name} saved.", "success")
            return redirect(url_for("accounts.show", slug=account.slug))
    return edit_page("accounts/form.html", conflict, form=form, account=account,
                     segments=accounts.segment_options(session, current_user))


def _commit_or_field_error(form: AccountForm) -> bool:
    """Commit; a unique name or external id taken in a race becomes a field error."""
    session = get_session()
    try:
        session.commit()
    except sa.exc.IntegrityError:
        session.rollback()
        form.name.errors = [*form.name.errors,
                            "Another account already has this name or external id."]
        return False
    return True


@account_route(bp, "/accounts/<slug>/archive", methods=["POST"], write=True)
def archive(account: Account) -> Any:
    session = get_session()
    # CSRF is checked for every POST by CSRFProtect before the view runs.
    accounts.archive_account(session, account, user=current_user)
    session.commit()
    flash(f"Account {account.name} archived. Choose the status filter “Archived” to "
          "find it again.", "success")
    return redirect(url_for("accounts.show", slug=account.slug))
