"""Deal pages: list, create, edit, debrief, survey links and interview requests."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlmodel import select

from ... import audit
from ...access import (
    WINLOSS_EDITORS,
    account_scope,
    get_deal_for_user,
    role_required,
)
from ...accounts import last_editor
from ...db import StaleEditError, get_session
from ...forms import choices
from ...links import create_link
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
    apply_program_rules,
    close_problems,
    deal_competitors,
    guide_for_outcome,
    list_deals,
    set_competitors,
    split_names,
    update_deal,
)
from ...winloss.forms import (
    DealForm,
    DebriefForm,
    SurveyLinkForm,
    factor_choices,
    optional_int,
)
from ...winloss.interviews import (
    deal_has_interview,
    interviewee_display,
)
from ...winloss.taxonomy import list_factors
from ._common import DEAL_EDITORS, _id_arg, _page_arg, bp


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


def _deal_data(form: DealForm) -> dict[str, Any]:
    """The deal's fields from the form."""
    return {
        "name": form.name.data.strip(), "account_id": optional_int(form.account_id.data),
        "outcome": form.outcome.data, "amount": form.amount.data,
        "product": (form.product.data or "").strip() or None,
        "owner_id": optional_int(form.owner_id.data), "opened_on": form.opened_on.data,
        "closed_on": form.closed_on.data if form.outcome.data != "open" or form.closed_on.data
        else None,
        "external_id": (form.external_id.data or "").strip() or None,
    }


def _save_deal(form: DealForm, deal: Deal | None) -> Deal | None:
    """Validate cross-field rules, copy the form into the deal; None when invalid.

    Editing raises `StaleEditError` (nothing changed) when the deal was saved by someone
    else since the form was opened.
    """
    session = get_session()
    data = _deal_data(form)
    account_id, owner_id, external_id = data["account_id"], data["owner_id"], data["external_id"]
    problems = close_problems(form.outcome.data, account_id, form.closed_on.data)
    if account_id is None and current_user.role == "account_manager" \
            and owner_id != current_user.id:
        problems.append("A deal without an account must be your own.")
    if external_id:
        clash = session.exec(select(Deal.id).where(Deal.external_id == external_id)).first()
        if clash is not None and (deal is None or clash != deal.id):
            form.external_id.errors.append("Another deal has this external id.")
            return None
    if problems:
        form.form_errors.extend(problems)
        return None
    if deal is None:
        deal = Deal(**data)
        session.add(deal)
        session.flush()
        audit.record(session, "create", "deal", deal.id, f"deal {deal.name} created",
                     details={k: None if v is None else str(v) for k, v in data.items()})
    else:
        update_deal(session, deal, data=data, expected_version=form.version.data)
    set_competitors(session, deal, split_names(form.competitors.data),
                    (form.primary_competitor.data or "").strip() or None)
    requested = apply_program_rules(session, deal)
    if requested is not None:
        audit.record(session, "create", "interview", requested.id,
                     f"interview requested for deal {deal.name} by rule {requested.rule_id}")
        flash("A buyer interview was requested for this deal (program rule).", "info")
    return deal


def _shown(form: FlaskForm, name: str, value: Any) -> Any:
    """A value as the form shows it: a select's label rather than its id."""
    field = getattr(form, name)
    if value is not None and getattr(field, "choices", None):
        for choice in field.choices:
            if choice.value == str(value):
                return choice.label
    return value


def _conflict(form: FlaskForm, deal: Deal, data: dict[str, Any]) -> dict[str, Any]:
    """Who saved the deal meanwhile and how it differs from the user's input.

    Call after rolling back and refreshing the deal. The form keeps the input; its
    version moves to the saved one, so saving again deliberately overwrites.
    """
    differences = [
        (getattr(form, name).label.text, _shown(form, name, getattr(deal, name)),
         _shown(form, name, value))
        for name, value in data.items() if getattr(deal, name) != value
    ]
    form.version.data = str(deal.version)
    return {"who": last_editor(get_session(), "deal", deal.id), "differences": differences}


@bp.route("/deals")
@login_required
def deals() -> str:
    session = get_session()
    outcome = request.args.get("outcome") or None
    if outcome not in (None, *OUTCOMES):
        outcome = None
    competitor_id = _id_arg("competitor")
    account_id = _id_arg("account")  # scoped by list_deals like the rest
    q = request.args.get("q", "").strip()[:100]
    page = list_deals(session, current_user, outcome=outcome, q=q, competitor_id=competitor_id,
                      account_id=account_id, page=_page_arg())
    competitors = session.exec(select(Competitor).order_by(Competitor.name)).all()
    args = {k: v for k, v in {"outcome": outcome, "q": q, "competitor": competitor_id,
                              "account": account_id}.items() if v}
    return render_template("winloss/deals.html", page=page, outcome=outcome, q=q,
                           competitor_id=competitor_id, competitors=competitors, args=args,
                           outcomes=OUTCOMES, can_create=current_user.role in DEAL_EDITORS)


@bp.route("/deals/new", methods=["GET", "POST"])
@role_required(*DEAL_EDITORS)
def new_deal() -> Any:
    form = _deal_form()
    if form.validate_on_submit():
        deal = _save_deal(form, None)
        if deal is not None:
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
    deal = get_deal_for_user(session, current_user, deal_id)
    account = session.get(Account, deal.account_id) if deal.account_id else None
    owner = session.get(User, deal.owner_id) if deal.owner_id else None
    rep_reason = session.get(DecisionFactor, deal.rep_reason_id) if deal.rep_reason_id else None
    rows = session.exec(
        select(WinLossInterview, Stakeholder)
        .join(Stakeholder, Stakeholder.id == WinLossInterview.stakeholder_id, isouter=True)
        .where(WinLossInterview.deal_id == deal.id).order_by(WinLossInterview.id)).all()
    interviews = [{"interview": i, "interviewee": interviewee_display(i, s)} for i, s in rows]
    link_form = None
    if current_user.role in WINLOSS_EDITORS and deal.outcome in CLOSED_OUTCOMES \
            and not interviews and account is not None:
        link_form = _survey_link_form(deal)
    return render_template(
        "winloss/deal.html", deal=deal, account=account, owner=owner, rep_reason=rep_reason,
        competitors=deal_competitors(session, deal), interviews=interviews,
        link_form=link_form, survey_url=_pop_survey_url(deal.id),
        can_edit=current_user.role in DEAL_EDITORS,
        runs_program=current_user.role in WINLOSS_EDITORS)


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
            session.rollback()
            session.refresh(deal)
            conflict = _conflict(form, deal, _deal_data(form))
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
        problems = close_problems(form.outcome.data, deal.account_id, form.closed_on.data)
        data = {"outcome": form.outcome.data, "closed_on": form.closed_on.data,
                "rep_reason_id": int(form.rep_reason_id.data),
                "rep_notes": (form.rep_notes.data or "").strip() or None}
        if problems:
            form.form_errors.extend(problems)
        else:
            try:
                update_deal(session, deal, data=data, expected_version=form.version.data,
                            summary=f"debrief of deal {deal.name}")
            except StaleEditError:
                session.rollback()
                session.refresh(deal)
                conflict = _conflict(form, deal, data)
            else:
                requested = apply_program_rules(session, deal)
                if requested is not None:
                    audit.record(session, "create", "interview", requested.id,
                                 f"interview requested for deal {deal.name}")
                session.commit()
                flash("Debrief saved." + (" An interview was requested." if requested else ""),
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
@role_required(*WINLOSS_EDITORS)
def create_survey_link(deal_id: int) -> Any:
    """A signed single-use link to the buyer survey, for a closed deal without interview."""
    session = get_session()
    deal = get_deal_for_user(session, current_user, deal_id, write=True)
    if deal.outcome not in CLOSED_OUTCOMES or deal.account_id is None \
            or deal_has_interview(session, deal.id):
        flash("A survey link is only for a closed deal without an interview.", "warning")
        return redirect(url_for("winloss.deal", deal_id=deal.id))
    form = _survey_link_form(deal)
    if not form.validate_on_submit():
        flash("Choose the buyer who should answer.", "warning")
        return redirect(url_for("winloss.deal", deal_id=deal.id))
    link, token = create_link(session, "buyer_survey", deal_id=deal.id,
                              account_id=deal.account_id,
                              stakeholder_id=int(form.stakeholder_id.data),
                              created_by_id=current_user.id)
    audit.record(session, "create", "access_link", link.id,
                 f"buyer survey link for deal {deal.name}")
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
@role_required(*WINLOSS_EDITORS)
def request_interview(deal_id: int) -> Any:
    session = get_session()
    deal = get_deal_for_user(session, current_user, deal_id, write=True)
    if deal.outcome not in CLOSED_OUTCOMES:
        flash("Interviews are for closed deals.", "warning")
        return redirect(url_for("winloss.deal", deal_id=deal.id))
    guide = guide_for_outcome(session, deal.outcome)
    interview = WinLossInterview(deal_id=deal.id, status="requested",
                                 guide_id=guide.id if guide else None,
                                 interviewer_id=current_user.id)
    session.add(interview)
    session.flush()
    audit.record(session, "create", "interview", interview.id,
                 f"interview requested for deal {deal.name}")
    session.commit()
    return redirect(url_for("winloss.record_interview", interview_id=interview.id))


