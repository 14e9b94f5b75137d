"""Deal pages: list, create, edit, debrief, survey links and interview requests."""

from __future__ import annotations

import smtplib
from datetime import date
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlmodel import select

from ... import bulk
from ...access import (
    account_scope,
    deal_access,
    get_account_stakeholder,
    get_deal_for_user,
    get_deal_link,
    may_edit_deals,
    permission_required,
    runs_winloss_program,
    scope_key,
)
from ...cache import cached
from ...db import StaleEditError, get_session
from ...forms import choices
from ...listing import Column, wants_csv
from ...models import (
    CLOSED_OUTCOMES,
    OUTCOMES,
    Account,
    Competitor,
    Deal,
    DecisionFactor,
    Stakeholder,
    User,
    WinLossInterview,
)
from ...winloss.deal_list import (
    DEAL_LIST,
    DEBRIEFS,
    PAGE_SIZE,
    DealFilters,
    all_deals,
    deal_ids,
    deal_owner_options,
    deal_products,
    deal_segments,
    list_deals,
    owner_label,
)
from ...winloss.deals import (
    ANY_CLOSED,
    NONE_LABEL,
    SavedDeal,
    create_deal,
    deal_competitors,
    debrief_deal,
    update_deal,
)
from ...winloss.errors import WinLossError
from ...winloss.forms import (
    KEPT_OWNER,
    DealForm,
    DebriefForm,
    SurveyLinkForm,
    factor_choices,
    show_error,
)
from ...winloss.interviews import (
    SURVEY_REFUSED,
    interviewee_display,
    may_survey,
    open_survey_links,
    send_survey,
    withdraw_survey_link,
)
from ...winloss.interviews import request_interview as new_interview_request
from ...winloss.taxonomy import list_factors
from ...wording import counted
from .._bulk import bulk_form, bulk_step, list_route
from .._request import edit_conflict, list_csv, list_state, page_arg, require_button
from ._common import bp

OWNER_NAME_PREFIX = "name:"  # the deal list's owner filter for a kept name


def _deal_form(deal: Deal | None = None) -> DealForm:
    session = get_session()
    form = DealForm(obj=deal) if deal is not None else DealForm()
    accounts = session.exec(select(Account.id, Account.name)
                            .where(account_scope(current_user, Account.id))
                            .order_by(Account.name)).all()
    form.account_id.choices = choices({str(i): n for i, n in accounts}, blank="No account (open)")
    users = session.exec(select(User.id, User.name).where(User.active.is_(True))
                         .order_by(User.name)).all()
    owners = {str(i): n for i, n in users}
    if deal is not None and deal.owner_name and deal.owner_id is None:
        # A rep kept by name from a CRM import stays the owner until a user is picked.
        form.kept_owner = deal.owner_name
        owners[KEPT_OWNER] = f"{deal.owner_name} (not a user)"
    form.owner_id.choices = choices(owners, blank="—")
    if request.method == "GET":
        if deal is not None:
            form.account_id.data = str(deal.account_id or "")
            form.owner_id.data = KEPT_OWNER if form.kept_owner else str(deal.owner_id or "")
            comps = deal_competitors(session, deal)
            form.competitors.data = "; ".join(c.name for c in comps)
            primary = next((c for c in comps if c.id == deal.primary_competitor_id), None)
            form.primary_competitor.data = primary.name if primary else ""
        else:
            form.owner_id.data = str(current_user.id)
    return form


def _save_deal(form: DealForm, deal: Deal | None) -> SavedDeal | None:
    """Create or update the deal from the form; None (errors on the form) when refused.

    Editing raises `StaleEditError` (nothing changed) when the deal was saved by someone
    else since the form was opened.
    """
    session = get_session()
    competitors, primary = form.competitor_names()
    try:
        if deal is None:
            saved = create_deal(session, data=form.data_dict(), competitors=competitors,
                                primary_competitor=primary, user=current_user)
        else:
            saved = update_deal(session, deal, data=form.data_dict(),
                                expected_version=form.version.data, competitors=competitors,
                                primary_competitor=primary, user=current_user)
    except WinLossError as exc:
        show_error(form, exc)
        return None
    if saved.requested is not None:
        flash("A buyer interview was requested for this deal (program rule).", "info")
    return saved


DEAL_CSV = (
    Column("Deal", lambda r: r[0].name), Column("Account", lambda r: r[1]),
    Column("Outcome", lambda r: r[0].outcome), Column("Amount", lambda r: r[0].amount),
    Column("Product", lambda r: r[0].product),
    Column("Owner", lambda r: r[2] or r[0].owner_name),
    Column("Primary competitor", lambda r: r[3]),
    Column("Opened", lambda r: r[0].opened_on), Column("Closed", lambda r: r[0].closed_on),
    Column("External id", lambda r: r[0].external_id),
)


@list_route(bp, "/deals", bulk_endpoint="deals_bulk")
@login_required
def deals() -> Any:
    session = get_session()
    competitors = session.exec(select(Competitor).order_by(Competitor.name)).all()
    # The filters' choices read every deal the user sees: kept until the data changes.
    (owner_users, kept_owners), products, segments = cached(
        session, "deal-list-choices", scope_key(current_user), lambda: (
            deal_owner_options(session, current_user), deal_products(session, current_user),
            deal_segments(session, current_user)))
    # ?owner=<user id>, or ?owner=name:<kept name> for a rep who is not a user.
    owner_values = [str(uid) for uid, _name in owner_users] + [
        OWNER_NAME_PREFIX + name for name in kept_owners]
    # "(none)" opens a figure's group of deals without a product, competitor or segment.
    state = list_state(DEAL_LIST, choices={
        "outcome": (*OUTCOMES, ANY_CLOSED), "owner": owner_values,
        "product": (*products, NONE_LABEL), "segment": (*segments, NONE_LABEL),
        "competitor": [str(c.id) for c in competitors] + [NONE_LABEL],
        "debrief": DEBRIEFS})
    owner = state.get("owner") or ""
    competitor = state.get("competitor")
    filters = DealFilters(
        outcome=state.get("outcome"), q=state.get("q"),
        competitor_id=int(competitor) if competitor and competitor != NONE_LABEL else None,
        no_competitor=competitor == NONE_LABEL, no_product=state.get("product") == NONE_LABEL,
        segment=state.get("segment"), rep=state.get("rep"),
        account_id=state.get("account"),  # scoped by the list like the rest
        owner_id=int(owner) if owner.isdigit() else None,
        owner_name=owner.removeprefix(OWNER_NAME_PREFIX) or None
        if owner.startswith(OWNER_NAME_PREFIX) else None,
        product=state.get("product") if state.get("product") != NONE_LABEL else None,
        closed_from=state.get("closed_from"),
        closed_to=state.get("closed_to"), amount_min=state.get("amount_min"),
        amount_max=state.get("amount_max"), rep_reason_id=state.get("rep_reason"),
        debrief=state.get("debrief"), sort=state.sort)
    owners = _active_users(session)
    if request.method == "POST":  # a bulk action on the selection (views/_bulk.py)
        return bulk_step(bulk.DEALS, owners=owners, page_size=PAGE_SIZE,
                         matching=lambda: deal_ids(session, current_user, filters))
    if wants_csv(request.args):
        return list_csv(DEAL_LIST, DEAL_CSV, all_deals(session, current_user, filters))
    page = list_deals(session, current_user, filters, page=page_arg())
    return render_template("winloss/deals.html", page=page, state=state, args=state.args,
                           competitors=competitors, products=products, segments=segments,
                           none_label=NONE_LABEL, any_closed=ANY_CLOSED,
                           owner=owner, owner_users=owner_users, kept_owners=kept_owners,
                           owner_name_prefix=OWNER_NAME_PREFIX, owner_label=owner_label,
                           outcomes=OUTCOMES, can_create=may_edit_deals(current_user),
                           bulk=bulk_form(bulk.DEALS, owners=owners, formdata=None))


def _active_users(session: Any) -> list[tuple[int, str]]:
    """Who a deal may be given to (the deal form's owners): the active users."""
    return [(i, n) for i, n in session.exec(
        select(User.id, User.name).where(User.active.is_(True)).order_by(User.name)).all()]


@bp.route("/deals/new", methods=["GET", "POST"])
@permission_required(may_edit_deals)
def new_deal() -> Any:
    form = _deal_form()
    if form.validate_on_submit():
        saved = _save_deal(form, None)
        if saved is not None:
            deal = saved.deal
            get_session().commit()
            flash(f"Deal {deal.name} created.", "success")
            if deal.outcome in CLOSED_OUTCOMES and deal.rep_reason_id is None:
                return redirect(url_for("winloss.debrief", deal_id=deal.id))
            return redirect(url_for("winloss.deal", deal_id=deal.id))
    return render_template("winloss/deal_form.html", form=form, deal=None)


@bp.route("/deals/<int:deal_id>")
@login_required
def deal(deal_id: int) -> str:
    session = get_session()
    deal, can_edit = deal_access(session, current_user, deal_id)
    runs_program = runs_winloss_program(current_user)
    account = session.get(Account, deal.account_id) if deal.account_id else None
    owner = session.get(User, deal.owner_id) if deal.owner_id else None
    rep_reason = session.get(DecisionFactor, deal.rep_reason_id) if deal.rep_reason_id else None
    rows = session.exec(
        select(WinLossInterview, Stakeholder)
        .join(Stakeholder, Stakeholder.id == WinLossInterview.stakeholder_id, isouter=True)
        .where(WinLossInterview.deal_id == deal.id).order_by(WinLossInterview.id)).all()
    interviews = [{"interview": i, "interviewee": interviewee_display(i, s)} for i, s in rows]
    link_form, survey_links = None, []
    if runs_program:
        # The survey stays open beside an interview request (a program rule's, say):
        # the buyer's answers complete that request.
        if may_survey(session, deal):
            link_form = _survey_link_form(deal)
        survey_links = open_survey_links(session, deal)
    return render_template(
        "winloss/deal.html", deal=deal, account=account, owner=owner, rep_reason=rep_reason,
        owner_shown=owner_label(owner.name if owner else None, deal),
        competitors=deal_competitors(session, deal), interviews=interviews,
        link_form=link_form, survey_links=survey_links,
        can_edit=can_edit, runs_program=runs_program)


@bp.route("/deals/<int:deal_id>/edit", methods=["GET", "POST"])
@login_required
def edit_deal(deal_id: int) -> Any:
    session = get_session()
    deal = get_deal_for_user(session, current_user, deal_id, write=True)
    was_closed = deal.outcome in CLOSED_OUTCOMES
    form = _deal_form(deal)
    conflict = None
    if form.validate_on_submit():
        try:
            saved = _save_deal(form, deal)
        except StaleEditError:
            conflict = edit_conflict(session, form, deal, form.data_dict(), entity="deal")
        else:
            if saved is not None:
                session.commit()
                flash(f"Deal {deal.name} saved.", "success")
                if not was_closed and deal.outcome in CLOSED_OUTCOMES \
                        and deal.rep_reason_id is None:
                    return redirect(url_for("winloss.debrief", deal_id=deal.id))
                return redirect(url_for("winloss.deal", deal_id=deal.id))
            session.rollback()
    return render_template("winloss/deal_form.html", form=form, deal=deal,
                           conflict=conflict), 409 if conflict else 200


@bp.route("/deals/<int:deal_id>/debrief", methods=["GET", "POST"])
@login_required
def debrief(deal_id: int) -> Any:
    """The rep's short debrief on closing: outcome, close date, primary reason, notes."""
    session = get_session()
    deal = get_deal_for_user(session, current_user, deal_id, write=True)
    form = DebriefForm(obj=deal)
    form.rep_reason_id.choices = factor_choices(list_factors(session, active_only=True),
                                                blank="Choose…")
    if request.method == "GET":
        form.rep_reason_id.data = str(deal.rep_reason_id or "")
        form.closed_on.data = deal.closed_on or date.today()
        if deal.outcome not in CLOSED_OUTCOMES:
            form.outcome.data = "won"
    conflict = None
    if form.validate_on_submit():
        data = form.data_dict()
        try:
            saved = debrief_deal(session, deal, data=data, expected_version=form.version.data,
                                 user=current_user)
        except WinLossError as exc:
            show_error(form, exc)
        except StaleEditError:
            conflict = edit_conflict(session, form, deal, data, entity="deal")
        else:
            session.commit()
            flash("Debrief saved." + (" An interview was requested." if saved.requested else ""),
                  "success")
            return redirect(url_for("winloss.deal", deal_id=deal.id))
    return render_template("winloss/debrief.html", form=form, deal=deal,
                           conflict=conflict), 409 if conflict else 200


def _survey_link_form(deal: Deal) -> SurveyLinkForm:
    form = SurveyLinkForm()
    people = get_session().exec(
        select(Stakeholder).where(Stakeholder.account_id == deal.account_id,
                                  Stakeholder.contactable_condition(by_email=True))
        .order_by(Stakeholder.name)).all()
    form.stakeholder_id.choices = choices({str(s.id): s.name for s in people}, blank="Choose…")
    return form


@bp.route("/deals/<int:deal_id>/survey", methods=["POST"])
@permission_required(runs_winloss_program)
def send_survey_mail(deal_id: int) -> Any:
    """E-mail the buyer survey to a person at the deal's account (a closed deal whose
    interview is not done), in place of a survey link still open for them."""
    session = get_session()
    deal = get_deal_for_user(session, current_user, deal_id, write=True)
    back = redirect(url_for("winloss.deal", deal_id=deal.id))
    if not may_survey(session, deal):
        flash(SURVEY_REFUSED, "warning")
        return back
    form = _survey_link_form(deal)
    if not form.validate_on_submit():
        flash("Choose the buyer who should answer (people who may be e-mailed).", "warning")
        return back
    account = session.get(Account, deal.account_id)
    buyer = get_account_stakeholder(session, account, int(form.stakeholder_id.data))
    try:
        send_survey(session, deal, buyer, user=current_user)
    except WinLossError as exc:
        session.rollback()
        flash(" ".join(exc.messages), "warning")
        return back
    except (smtplib.SMTPException, OSError) as exc:
        session.rollback()
        current_app.logger.warning("survey email for deal %s failed: %s", deal.id, exc)
        flash("The email could not be sent (the mail server did not accept it). Nothing "
              "was recorded; try again later.", "danger")
        return back
    session.commit()
    days = int(current_app.config.get("LINK_REMINDER_DAYS", 7))
    reminder = f", and one reminder if they have not answered in {counted(days, 'day')}" \
        if days > 0 else ""
    flash(f"Buyer survey emailed to {buyer.name}: a single-use link{reminder}.", "success")
    return back


@bp.route("/deals/<int:deal_id>/survey-links/<int:link_id>/withdraw", methods=["POST"])
@permission_required(runs_winloss_program)
def withdraw_survey(deal_id: int, link_id: int) -> Any:
    """Withdraw a survey link nobody answered (it stops working)."""
    session = get_session()
    deal = get_deal_for_user(session, current_user, deal_id, write=True)
    link = get_deal_link(session, deal, link_id, purposes=("buyer_survey",))
    require_button()
    withdraw_survey_link(session, link, user=current_user)
    session.commit()
    flash("Survey link withdrawn.", "success")
    return redirect(url_for("winloss.deal", deal_id=deal.id))


@bp.route("/deals/<int:deal_id>/interviews", methods=["POST"])
@permission_required(runs_winloss_program)
def request_interview(deal_id: int) -> Any:
    session = get_session()
    deal = get_deal_for_user(session, current_user, deal_id, write=True)
    try:
        interview = new_interview_request(session, deal, user=current_user)
    except WinLossError as exc:
        flash(" ".join(exc.messages), "warning")
        return redirect(url_for("winloss.deal", deal_id=deal.id))
    session.commit()
    return redirect(url_for("winloss.record_interview", interview_id=interview.id))


