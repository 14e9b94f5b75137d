"""Deal pages: list, create, edit, debrief, survey links and interview requests."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_login import current_user, login_required
from sqlmodel import select

from ...access import (
    account_scope,
    deal_access,
    get_deal_for_user,
    may_edit_deals,
    permission_required,
    runs_winloss_program,
)
from ...db import StaleEditError, get_session
from ...forms import choices
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
from ...stakeholders import contactable_condition
from ...winloss.deals import (
    SavedDeal,
    create_deal,
    deal_competitors,
    debrief_deal,
    list_deals,
    update_deal,
)
from ...winloss.errors import WinLossError
from ...winloss.forms import (
    DealForm,
    DebriefForm,
    SurveyLinkForm,
    factor_choices,
    show_error,
)
from ...winloss.interviews import create_survey_link as new_survey_link
from ...winloss.interviews import interviewee_display, may_survey
from ...winloss.interviews import request_interview as new_interview_request
from ...winloss.taxonomy import list_factors
from .._request import edit_conflict, id_arg, page_arg
from ._common import bp


def _deal_form(deal: Deal | None = None) -> DealForm:
    session = get_session()
    form = DealForm(obj=deal) if deal is not None else DealForm()
    accounts = session.exec(select(Account.id, Account.name)
                            .where(account_scope(current_user, Account.id))
                            .order_by(Account.name)).all()
    form.account_id.choices = choices({str(i): n for i, n in accounts}, blank="No account (open)")
    users = session.exec(select(User.id, User.name).where(User.active.is_(True))
                         .order_by(User.name)).all()
    form.owner_id.choices = choices({str(i): n for i, n in users}, blank="—")
    if request.method == "GET":
        if deal is not None:
            form.account_id.data = str(deal.account_id or "")
            form.owner_id.data = str(deal.owner_id or "")
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


@bp.route("/deals")
@login_required
def deals() -> str:
    session = get_session()
    outcome = request.args.get("outcome") or None
    if outcome not in (None, *OUTCOMES):
        outcome = None
    competitor_id = id_arg("competitor")
    account_id = id_arg("account")  # scoped by list_deals like the rest
    q = request.args.get("q", "").strip()[:100]
    page = list_deals(session, current_user, outcome=outcome, q=q, competitor_id=competitor_id,
                      account_id=account_id, page=page_arg())
    competitors = session.exec(select(Competitor).order_by(Competitor.name)).all()
    args = {k: v for k, v in {"outcome": outcome, "q": q, "competitor": competitor_id,
                              "account": account_id}.items() if v}
    return render_template("winloss/deals.html", page=page, outcome=outcome, q=q,
                           competitor_id=competitor_id, competitors=competitors, args=args,
                           outcomes=OUTCOMES, can_create=may_edit_deals(current_user))


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
    link_form = None
    if runs_program and deal.outcome in CLOSED_OUTCOMES and not interviews \
            and account is not None:
        link_form = _survey_link_form(deal)
    return render_template(
        "winloss/deal.html", deal=deal, account=account, owner=owner, rep_reason=rep_reason,
        competitors=deal_competitors(session, deal), interviews=interviews,
        link_form=link_form, survey_url=_pop_survey_url(deal.id),
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
                                  contactable_condition())
        .order_by(Stakeholder.name)).all()
    form.stakeholder_id.choices = choices({str(s.id): s.name for s in people}, blank="Choose…")
    return form


@bp.route("/deals/<int:deal_id>/survey-link", methods=["POST"])
@permission_required(runs_winloss_program)
def create_survey_link(deal_id: int) -> Any:
    """A signed single-use link to the buyer survey, for a closed deal without interview."""
    session = get_session()
    deal = get_deal_for_user(session, current_user, deal_id, write=True)
    if not may_survey(session, deal):
        flash("A survey link is only for a closed deal without an interview.", "warning")
        return redirect(url_for("winloss.deal", deal_id=deal.id))
    form = _survey_link_form(deal)
    if not form.validate_on_submit():
        flash("Choose the buyer who should answer.", "warning")
        return redirect(url_for("winloss.deal", deal_id=deal.id))
    _link, token = new_survey_link(session, deal, stakeholder_id=int(form.stakeholder_id.data),
                                   user=current_user)
    session.commit()
    url = current_app.config["BASE_URL"].rstrip("/") + url_for("survey.answer", token=token)
    flash("Survey link created; send it to the buyer (it works once).", "success")
    # Shown once on the deal page, never in a URL: a token in a query string lands in
    # access logs and history, and a query parameter would let anyone display a
    # "survey link" of their choosing on our page.
    flask_session[SURVEY_URL_KEY] = [deal.id, url]
    return redirect(url_for("winloss.deal", deal_id=deal.id))


SURVEY_URL_KEY = "winloss_survey_url"


def _pop_survey_url(deal_id: int) -> str | None:
    """The survey link just created for this deal, once."""
    saved = flask_session.get(SURVEY_URL_KEY)
    if saved and saved[0] == deal_id:
        flask_session.pop(SURVEY_URL_KEY)
        return str(saved[1])
    return None


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


