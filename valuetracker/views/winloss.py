"""Views of the win/loss area: deals, debriefs, interviews, guides, taxonomy, rules,
analytics and the quote library.

Roles (PRODUCT.md): account managers work on deals of their own accounts (404 for
others) and may not reach the interview program or analytics (403); analysts and
admins run the program for all accounts; leaders read everything.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlmodel import select

from .. import audit, charts
from ..access import (
    WINLOSS_EDITORS,
    account_scope,
    get_deal_for_user,
    get_interview_for_user,
    require_role,
    role_required,
)
from ..competitors import resolve_competitors
from ..db import get_session
from ..forms import EmptyForm, choices
from ..links import create_link
from ..models import (
    CLOSED_OUTCOMES,
    OUTCOMES,
    Account,
    Competitor,
    Deal,
    DecisionFactor,
    FactorRating,
    GuideQuestion,
    InterviewAnswer,
    InterviewGuide,
    InterviewQuote,
    ProgramRule,
    Stakeholder,
    User,
    WinLossInterview,
    utcnow,
)
from ..quarters import QuarterError, app_start_month, parse_quarter
from ..winloss import analytics as wl
from ..winloss.deals import (
    apply_program_rules,
    close_problems,
    deal_competitors,
    guide_for_outcome,
    list_deals,
    set_competitors,
    split_names,
)
from ..winloss.forms import (
    QUOTE_SLOTS,
    DealForm,
    DebriefForm,
    FactorForm,
    GuideForm,
    QuestionForm,
    RuleForm,
    SurveyLinkForm,
    factor_choices,
    interview_form_class,
    optional_int,
    recording_from_form,
)
from ..winloss.interviews import (
    deal_has_interview,
    guide_questions,
    interviewee_display,
    list_interviews,
    mark_completed,
    move_question,
    renumber_questions,
    store_recording,
)
from ..winloss.taxonomy import ensure_default_taxonomy, list_factors

bp = Blueprint("winloss", __name__)

PROGRAM_READERS = ("analyst", "leader", "admin")
DEAL_EDITORS = ("account_manager", "analyst", "admin")


def _page_arg() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _date_arg(name: str) -> date | None:
    value = request.args.get(name, "")
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        flash(f"'{value}' is not a date (use YYYY-MM-DD); ignored.", "warning")
        return None


# --- deals ----------------------------------------------------------------------------


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


def _save_deal(form: DealForm, deal: Deal | None) -> Deal | None:
    """Validate cross-field rules, copy the form into the deal; None when invalid."""
    session = get_session()
    account_id = optional_int(form.account_id.data)
    owner_id = optional_int(form.owner_id.data)
    problems = close_problems(form.outcome.data, account_id, form.closed_on.data)
    if account_id is None and current_user.role == "account_manager" \
            and owner_id != current_user.id:
        problems.append("A deal without an account must be your own.")
    external_id = (form.external_id.data or "").strip() or None
    if external_id:
        clash = session.exec(select(Deal.id).where(Deal.external_id == external_id)).first()
        if clash is not None and (deal is None or clash != deal.id):
            form.external_id.errors.append("Another deal has this external id.")
            return None
    if problems:
        form.form_errors.extend(problems)
        return None
    data = {
        "name": form.name.data.strip(), "account_id": account_id, "outcome": form.outcome.data,
        "amount": form.amount.data, "product": (form.product.data or "").strip() or None,
        "owner_id": owner_id, "opened_on": form.opened_on.data,
        "closed_on": form.closed_on.data if form.outcome.data != "open" or form.closed_on.data
        else None,
        "external_id": external_id,
    }
    if deal is None:
        deal = Deal(**data)
        session.add(deal)
        session.flush()
        audit.record(session, "create", "deal", deal.id, f"deal {deal.name} created",
                     details={k: None if v is None else str(v) for k, v in data.items()})
    else:
        diff = audit.changes(deal, data)
        for key, value in data.items():
            setattr(deal, key, value)
        deal.updated_at = utcnow()
        session.add(deal)
        audit.record(session, "update", "deal", deal.id, f"deal {deal.name} updated",
                     details=diff)
    set_competitors(session, deal, split_names(form.competitors.data),
                    (form.primary_competitor.data or "").strip() or None)
    request_ = apply_program_rules(session, deal)
    if request_ is not None:
        audit.record(session, "create", "interview", request_.id,
                     f"interview requested for deal {deal.name} by rule {request_.rule_id}")
    return deal


@bp.route("/deals")
@login_required
def deals() -> str:
    session = get_session()
    outcome = request.args.get("outcome") or None
    if outcome not in (None, *OUTCOMES):
        outcome = None
    competitor_id = request.args.get("competitor", type=int)
    q = request.args.get("q", "").strip()[:100]
    page = list_deals(session, current_user, outcome=outcome, q=q, competitor_id=competitor_id,
                      page=_page_arg())
    competitors = session.exec(select(Competitor).order_by(Competitor.name)).all()
    args = {k: v for k, v in {"outcome": outcome, "q": q, "competitor": competitor_id}.items()
            if v}
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
        link_form=link_form, survey_url=request.args.get("survey_url"),
        can_edit=current_user.role in DEAL_EDITORS,
        runs_program=current_user.role in WINLOSS_EDITORS)


@bp.route("/deals/<int:deal_id>/edit", methods=["GET", "POST"])
@login_required
def edit_deal(deal_id: int) -> Any:
    session = get_session()
    deal = get_deal_for_user(session, current_user, deal_id, write=True)
    was_closed = deal.outcome in CLOSED_OUTCOMES
    form = _deal_form(deal)
    if form.validate_on_submit():
        saved = _save_deal(form, deal)
        if saved is not None:
            session.commit()
            flash(f"Deal {deal.name} saved.", "success")
            if not was_closed and deal.outcome in CLOSED_OUTCOMES and deal.rep_reason_id is None:
                return redirect(url_for("winloss.debrief", deal_id=deal.id))
            return redirect(url_for("winloss.deal", deal_id=deal.id))
        session.rollback()
    return render_template("winloss/deal_form.html", form=form, deal=deal)


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
    if form.validate_on_submit():
        problems = close_problems(form.outcome.data, deal.account_id, form.closed_on.data)
        if problems:
            form.form_errors.extend(problems)
        else:
            data = {"outcome": form.outcome.data, "closed_on": form.closed_on.data,
                    "rep_reason_id": int(form.rep_reason_id.data),
                    "rep_notes": (form.rep_notes.data or "").strip() or None}
            diff = audit.changes(deal, data)
            for key, value in data.items():
                setattr(deal, key, value)
            deal.updated_at = utcnow()
            session.add(deal)
            audit.record(session, "update", "deal", deal.id, f"debrief of deal {deal.name}",
                         details=diff)
            requested = apply_program_rules(session, deal)
            if requested is not None:
                audit.record(session, "create", "interview", requested.id,
                             f"interview requested for deal {deal.name}")
            session.commit()
            flash("Debrief saved." + (" An interview was requested." if requested else ""),
                  "success")
            return redirect(url_for("winloss.deal", deal_id=deal.id))
    return render_template("winloss/debrief.html", form=form, deal=deal)


def _survey_link_form(deal: Deal) -> SurveyLinkForm:
    form = SurveyLinkForm()
    people = get_session().exec(
        select(Stakeholder).where(Stakeholder.account_id == deal.account_id,
                                  Stakeholder.erased_at.is_(None),
                                  Stakeholder.opted_out_at.is_(None),
                                  Stakeholder.left_company_at.is_(None))
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
    return redirect(url_for("winloss.deal", deal_id=deal.id, survey_url=url))


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


# --- interviews -----------------------------------------------------------------------


@bp.route("/interviews")
@role_required(*PROGRAM_READERS)
def queue() -> str:
    status = request.args.get("status") or None
    from ..models import INTERVIEW_STATUSES

    if status not in (None, *INTERVIEW_STATUSES):
        status = None
    page = list_interviews(get_session(), status=status, page=_page_arg())
    return render_template("winloss/queue.html", page=page, status=status,
                           statuses=INTERVIEW_STATUSES, args={"status": status} if status else {})


@bp.route("/interviews/<int:interview_id>")
@login_required
def interview(interview_id: int) -> str:
    session = get_session()
    interview = get_interview_for_user(session, current_user, interview_id)
    deal = session.get(Deal, interview.deal_id)
    stakeholder = session.get(Stakeholder, interview.stakeholder_id) \
        if interview.stakeholder_id else None
    answers = session.exec(
        select(InterviewAnswer, GuideQuestion)
        .join(GuideQuestion, GuideQuestion.id == InterviewAnswer.question_id, isouter=True)
        .where(InterviewAnswer.interview_id == interview.id)
        .order_by(GuideQuestion.position, InterviewAnswer.id)).all()
    ratings = session.exec(
        select(FactorRating, DecisionFactor)
        .join(DecisionFactor, DecisionFactor.id == FactorRating.factor_id)
        .where(FactorRating.interview_id == interview.id)
        .order_by(DecisionFactor.category, DecisionFactor.position)).all()
    quotes = session.exec(
        select(InterviewQuote, DecisionFactor.name)
        .join(DecisionFactor, DecisionFactor.id == InterviewQuote.factor_id, isouter=True)
        .where(InterviewQuote.interview_id == interview.id).order_by(InterviewQuote.id)).all()
    reason = session.get(DecisionFactor, interview.primary_reason_id) \
        if interview.primary_reason_id else None
    return render_template(
        "winloss/interview.html", interview=interview, deal=deal, stakeholder=stakeholder,
        answers=answers, ratings=ratings, quotes=quotes, reason=reason,
        can_edit=current_user.role in WINLOSS_EDITORS)


@bp.route("/interviews/<int:interview_id>/record", methods=["GET", "POST"])
@login_required
def record_interview(interview_id: int) -> Any:
    """Schedule or record an interview: guide answers, factor ratings, quotes, reason."""
    session = get_session()
    interview = get_interview_for_user(session, current_user, interview_id, write=True)
    deal = session.get(Deal, interview.deal_id)
    if interview.guide_id is None:
        guide = guide_for_outcome(session, deal.outcome)
        interview.guide_id = guide.id if guide else None
    questions = guide_questions(session, interview.guide_id)
    factors = list_factors(session, active_only=True)
    stakeholders = list(session.exec(
        select(Stakeholder).where(Stakeholder.account_id == deal.account_id,
                                  Stakeholder.erased_at.is_(None))
        .order_by(Stakeholder.name)).all()) if deal.account_id else []
    existing_quotes = session.exec(select(InterviewQuote).where(
        InterviewQuote.interview_id == interview.id).order_by(InterviewQuote.id)).all()
    slots = max(QUOTE_SLOTS, len(existing_quotes) + 1)
    form_class = interview_form_class(questions, factors, stakeholders, slots)
    form = form_class(obj=interview)
    if request.method == "GET":
        _prefill_interview(form, interview, existing_quotes)
    if form.validate_on_submit():
        data = {
            "stakeholder_id": optional_int(form.stakeholder_id.data),
            "contact_name": (form.contact_name.data or "").strip() or None,
            "contact_title": (form.contact_title.data or "").strip() or None,
            "anonymity": form.anonymity.data, "status": form.status.data,
            "channel": form.channel.data or None,
            "scheduled_for": _as_datetime(form.scheduled_for.data),
            "completed_at": _as_datetime(form.completed_on.data) or interview.completed_at,
            "primary_reason_id": optional_int(form.primary_reason_id.data),
            "notes": (form.notes.data or "").strip() or None,
        }
        if interview.interviewer_id is None:
            data["interviewer_id"] = current_user.id
        diff = audit.changes(interview, data)
        for key, value in data.items():
            setattr(interview, key, value)
        if interview.status != "completed":
            interview.completed_at = _as_datetime(form.completed_on.data)
        mark_completed(interview)
        session.add(interview)
        store_recording(session, interview,
                        recording_from_form(form, questions, factors, slots))
        # The diff names the fields changed, never the interviewee's name (anonymity).
        audit.record(session, "update", "interview", interview.id,
                     f"interview of deal {deal.name} recorded ({interview.status})",
                     details={k: "changed" for k in diff})
        session.commit()
        flash("Interview saved.", "success")
        return redirect(url_for("winloss.interview", interview_id=interview.id))
    return render_template(
        "winloss/interview_form.html", form=form, interview=interview, deal=deal,
        questions=questions, factors=factors, slots=slots)


def _as_datetime(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC) if day else None


def _prefill_interview(form: Any, interview: WinLossInterview,
                       quotes: list[InterviewQuote]) -> None:
    session = get_session()
    form.stakeholder_id.data = str(interview.stakeholder_id or "")
    form.primary_reason_id.data = str(interview.primary_reason_id or "")
    form.channel.data = interview.channel or ""
    form.scheduled_for.data = interview.scheduled_for.date() if interview.scheduled_for else None
    form.completed_on.data = interview.completed_at.date() if interview.completed_at else None
    for answer in session.exec(select(InterviewAnswer).where(
            InterviewAnswer.interview_id == interview.id)).all():
        name = f"q_{answer.question_id}"
        if name in form:
            value = answer.text if answer.text is not None else (
                str(answer.rating) if answer.rating is not None else answer.choice)
            form[name].data = value
    for rating in session.exec(select(FactorRating).where(
            FactorRating.interview_id == interview.id)).all():
        if f"r_{rating.factor_id}" in form:
            form[f"r_{rating.factor_id}"].data = str(rating.rating or "")
            form[f"i_{rating.factor_id}"].data = str(rating.importance or "")
            form[f"e_{rating.factor_id}"].data = rating.effect
    for n, quote in enumerate(quotes, start=1):
        form[f"quote_text_{n}"].data = quote.text
        form[f"quote_tags_{n}"].data = (quote.tags or "").replace(";", "; ")
        form[f"quote_factor_{n}"].data = str(quote.factor_id or "")


# --- analytics and quotes ---------------------------------------------------------------


@bp.route("/analytics")
@role_required(*PROGRAM_READERS)
def analytics() -> str:
    session = get_session()
    since, until = _date_arg("since"), _date_arg("until")
    quarter = (request.args.get("quarter") or "").strip()
    if quarter:
        try:
            chosen = parse_quarter(quarter, app_start_month())
        except QuarterError as exc:
            flash(str(exc), "warning")
            quarter = ""
        else:
            since, until, quarter = chosen.start, chosen.end, chosen.label
    by = request.args.get("by", "segment")
    if by not in wl.GROUPINGS:
        by = "segment"

    groups = wl.win_rates(session, by=by, since=since, until=until,
                          start_month=app_start_month())
    overall = wl.overall_win_rate(session, since=since, until=until)
    impact = wl.factor_impact(session, since=since, until=until)
    h2h = wl.competitor_head_to_head(session, since=since, until=until)[:15]
    reasons = wl.top_reasons(session, since=since, until=until)
    disagreement = wl.reason_disagreements(session, since=since, until=until)
    scorecard = wl.program_scorecard(session, since=since, until=until)
    win_chart = charts.interval_chart(
        [(f"{r.group} (n={r.closed})", r.win_rate or 0.0, r.ci_low, r.ci_high)
         for r in groups[:25]], title=f"Win rate by {by} with 95% interval")
    impact_items = [(r.name, round(r.impact, 2)) for r in impact if r.impact is not None]
    impact_chart = charts.bar_chart(impact_items, title="Factor impact (won − lost mean rating)",
                                    signed=True)
    return render_template(
        "winloss/analytics.html", groups=groups, overall=overall, impact=impact, h2h=h2h,
        reasons=reasons, disagreement=disagreement, scorecard=scorecard, by=by,
        groupings=wl.GROUPINGS, since=since, until=until, quarter=quarter, win_chart=win_chart,
        impact_chart=impact_chart)


@bp.route("/quotes")
@role_required(*PROGRAM_READERS)
def quotes() -> str:
    session = get_session()
    factor_id = request.args.get("factor", type=int)
    competitor_id = request.args.get("competitor", type=int)
    outcome = request.args.get("outcome") or None
    if outcome not in (None, *CLOSED_OUTCOMES):
        outcome = None
    tag = request.args.get("tag", "").strip()[:60]
    q = request.args.get("q", "").strip()[:100]
    page = wl.list_quotes(session, factor_id=factor_id, competitor_id=competitor_id,
                          outcome=outcome, tag=tag, q=q, page=_page_arg())
    args = {k: v for k, v in {"factor": factor_id, "competitor": competitor_id,
                              "outcome": outcome, "tag": tag, "q": q}.items() if v}
    return render_template(
        "winloss/quotes.html", page=page, args=args, factors=list_factors(session),
        competitors=session.exec(select(Competitor).order_by(Competitor.name)).all(),
        outcomes=CLOSED_OUTCOMES, factor_id=factor_id, competitor_id=competitor_id,
        outcome=outcome, tag=tag, q=q)


# --- taxonomy ---------------------------------------------------------------------------


@bp.route("/taxonomy", methods=["GET", "POST"])
@role_required(*PROGRAM_READERS)
def taxonomy() -> Any:
    session = get_session()
    form = FactorForm()
    if request.method == "POST":
        require_role(current_user, *WINLOSS_EDITORS)
        if form.validate_on_submit():
            if _factor_clash(form, None):
                form.name.errors.append("This category already has a factor of that name.")
            else:
                factor = DecisionFactor(category=form.category.data.strip(),
                                        name=form.name.data.strip(),
                                        position=form.position.data or 100,
                                        active=form.active.data)
                session.add(factor)
                session.flush()
                audit.record(session, "create", "decision_factor", factor.id,
                             f"factor {factor.category} / {factor.name} added")
                session.commit()
                flash(f"Factor {factor.name} added.", "success")
                return redirect(url_for("winloss.taxonomy"))
    return render_template("winloss/taxonomy.html", factors=list_factors(session), form=form,
                           can_edit=current_user.role in WINLOSS_EDITORS)


def _factor_clash(form: FactorForm, factor: DecisionFactor | None) -> bool:
    found = get_session().exec(select(DecisionFactor.id).where(
        DecisionFactor.category == form.category.data.strip(),
        DecisionFactor.name == form.name.data.strip())).first()
    return found is not None and (factor is None or found != factor.id)


@bp.route("/taxonomy/default", methods=["POST"])
@role_required(*WINLOSS_EDITORS)
def load_default_taxonomy() -> Any:
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    session = get_session()
    added = ensure_default_taxonomy(session)
    audit.record(session, "create", "decision_factor", None,
                 f"default taxonomy loaded ({added} factors added)")
    session.commit()
    flash(f"Default taxonomy loaded: {added} factors added.", "success")
    return redirect(url_for("winloss.taxonomy"))


@bp.route("/taxonomy/<int:factor_id>/edit", methods=["GET", "POST"])
@role_required(*WINLOSS_EDITORS)
def edit_factor(factor_id: int) -> Any:
    session = get_session()
    factor = session.get(DecisionFactor, factor_id) or abort(404)
    form = FactorForm(obj=factor)
    if form.validate_on_submit():
        if _factor_clash(form, factor):
            form.name.errors.append("This category already has a factor of that name.")
        else:
            data = {"category": form.category.data.strip(), "name": form.name.data.strip(),
                    "position": form.position.data or 0, "active": form.active.data}
            diff = audit.changes(factor, data)
            for key, value in data.items():
                setattr(factor, key, value)
            session.add(factor)
            audit.record(session, "update", "decision_factor", factor.id,
                         f"factor {factor.name} updated", details=diff)
            session.commit()
            flash(f"Factor {factor.name} saved.", "success")
            return redirect(url_for("winloss.taxonomy"))
    return render_template("winloss/simple_form.html", form=form,
                           title=f"Edit factor {factor.name}", cancel=url_for("winloss.taxonomy"))


# --- guides -----------------------------------------------------------------------------


@bp.route("/guides", methods=["GET", "POST"])
@role_required(*PROGRAM_READERS)
def guides() -> Any:
    session = get_session()
    form = GuideForm()
    if request.method == "POST":
        require_role(current_user, *WINLOSS_EDITORS)
        if form.validate_on_submit():
            guide = InterviewGuide(name=form.name.data.strip(), outcome=form.outcome.data,
                                   active=form.active.data)
            session.add(guide)
            session.flush()
            audit.record(session, "create", "interview_guide", guide.id,
                         f"guide {guide.name} created")
            session.commit()
            flash(f"Guide {guide.name} created; add its questions.", "success")
            return redirect(url_for("winloss.guide", guide_id=guide.id))
    import sqlalchemy as sa

    rows = session.exec(
        select(InterviewGuide, sa.func.count(GuideQuestion.id))
        .join(GuideQuestion, GuideQuestion.guide_id == InterviewGuide.id, isouter=True)
        .group_by(InterviewGuide.id).order_by(InterviewGuide.name)).all()
    return render_template("winloss/guides.html", rows=rows, form=form,
                           can_edit=current_user.role in WINLOSS_EDITORS)


def _question_form(question: GuideQuestion | None = None) -> QuestionForm:
    form = QuestionForm(obj=question)
    form.factor_id.choices = factor_choices(list_factors(get_session()), blank="None")
    if request.method == "GET" and question is not None:
        form.factor_id.data = str(question.factor_id or "")
        form.choices_text.data = question.choices or ""
    return form


def _question_data(form: QuestionForm) -> dict[str, Any]:
    options = [c.strip() for c in (form.choices_text.data or "").split(";") if c.strip()]
    return {"text": form.text.data.strip(), "kind": form.kind.data,
            "choices": ";".join(options) if form.kind.data == "choice" else None,
            "factor_id": optional_int(form.factor_id.data)}


@bp.route("/guides/<int:guide_id>", methods=["GET", "POST"])
@role_required(*PROGRAM_READERS)
def guide(guide_id: int) -> Any:
    """A guide's settings and ordered questions; POST adds a question."""
    session = get_session()
    guide = session.get(InterviewGuide, guide_id) or abort(404)
    form = _question_form()
    guide_form = GuideForm(obj=guide, prefix="guide")
    if request.method == "POST":
        require_role(current_user, *WINLOSS_EDITORS)
        if "guide-name" in request.form:
            if guide_form.validate_on_submit():
                data = {"name": guide_form.name.data.strip(), "outcome": guide_form.outcome.data,
                        "active": guide_form.active.data}
                diff = audit.changes(guide, data)
                for key, value in data.items():
                    setattr(guide, key, value)
                session.add(guide)
                audit.record(session, "update", "interview_guide", guide.id,
                             f"guide {guide.name} updated", details=diff)
                session.commit()
                flash("Guide saved.", "success")
                return redirect(url_for("winloss.guide", guide_id=guide.id))
        elif form.validate_on_submit():
            count = len(guide_questions(session, guide.id))
            question = GuideQuestion(guide_id=guide.id, position=(count + 1) * 10,
                                     **_question_data(form))
            session.add(question)
            session.flush()
            audit.record(session, "create", "guide_question", question.id,
                         f"question added to guide {guide.name}")
            session.commit()
            flash("Question added.", "success")
            return redirect(url_for("winloss.guide", guide_id=guide.id))
    factors = {f.id: f.name for f in list_factors(session)}
    return render_template("winloss/guide.html", guide=guide, form=form, guide_form=guide_form,
                           questions=guide_questions(session, guide.id), factors=factors,
                           can_edit=current_user.role in WINLOSS_EDITORS)


def _get_question(question_id: int) -> GuideQuestion:
    return get_session().get(GuideQuestion, question_id) or abort(404)


@bp.route("/guides/questions/<int:question_id>/edit", methods=["GET", "POST"])
@role_required(*WINLOSS_EDITORS)
def edit_question(question_id: int) -> Any:
    session = get_session()
    question = _get_question(question_id)
    form = _question_form(question)
    if form.validate_on_submit():
        data = _question_data(form)
        diff = audit.changes(question, data)
        for key, value in data.items():
            setattr(question, key, value)
        session.add(question)
        audit.record(session, "update", "guide_question", question.id, "question updated",
                     details=diff)
        session.commit()
        flash("Question saved.", "success")
        return redirect(url_for("winloss.guide", guide_id=question.guide_id))
    return render_template("winloss/simple_form.html", form=form, title="Edit question",
                           cancel=url_for("winloss.guide", guide_id=question.guide_id))


@bp.route("/guides/questions/<int:question_id>/move/<direction>", methods=["POST"])
@role_required(*WINLOSS_EDITORS)
def move_question_view(question_id: int, direction: str) -> Any:
    if direction not in ("up", "down") or not EmptyForm().validate_on_submit():
        abort(400)
    session = get_session()
    question = _get_question(question_id)
    move_question(session, question, -1 if direction == "up" else 1)
    audit.record(session, "update", "guide_question", question.id, f"question moved {direction}")
    session.commit()
    return redirect(url_for("winloss.guide", guide_id=question.guide_id))


@bp.route("/guides/questions/<int:question_id>/delete", methods=["POST"])
@role_required(*WINLOSS_EDITORS)
def delete_question(question_id: int) -> Any:
    if not EmptyForm().validate_on_submit():
        abort(400)
    session = get_session()
    question = _get_question(question_id)
    guide = session.get(InterviewGuide, question.guide_id)
    # Answers keep their text; they just lose the link to the deleted question.
    for answer in session.exec(select(InterviewAnswer).where(
            InterviewAnswer.question_id == question.id)).all():
        answer.question_id = None
        session.add(answer)
    session.delete(question)
    session.flush()
    renumber_questions(session, guide)
    audit.record(session, "delete", "guide_question", question_id,
                 f"question removed from guide {guide.name}")
    session.commit()
    flash("Question removed.", "success")
    return redirect(url_for("winloss.guide", guide_id=guide.id))


# --- program rules ----------------------------------------------------------------------


@bp.route("/rules", methods=["GET", "POST"])
@role_required(*PROGRAM_READERS)
def rules() -> Any:
    session = get_session()
    form = RuleForm()
    if request.method == "POST":
        require_role(current_user, *WINLOSS_EDITORS)
        if form.validate_on_submit():
            competitor_id = None
            if (form.competitor.data or "").strip():
                found = resolve_competitors(session, [form.competitor.data], create=False)
                if not found:
                    form.competitor.errors.append("No competitor by that name or alias.")
                else:
                    competitor_id = found[0].id
            if not form.competitor.errors:
                rule = ProgramRule(name=form.name.data.strip(), outcome=form.outcome.data or None,
                                   min_amount=form.min_amount.data, competitor_id=competitor_id,
                                   segment=(form.segment.data or "").strip() or None)
                session.add(rule)
                session.flush()
                audit.record(session, "create", "program_rule", rule.id,
                             f"program rule {rule.name} created")
                session.commit()
                flash(f"Rule {rule.name} created.", "success")
                return redirect(url_for("winloss.rules"))
    rows = session.exec(
        select(ProgramRule, Competitor.name)
        .join(Competitor, Competitor.id == ProgramRule.competitor_id, isouter=True)
        .order_by(ProgramRule.id)).all()
    return render_template("winloss/rules.html", rows=rows, form=form,
                           can_edit=current_user.role in WINLOSS_EDITORS)


@bp.route("/rules/<int:rule_id>/toggle", methods=["POST"])
@role_required(*WINLOSS_EDITORS)
def toggle_rule(rule_id: int) -> Any:
    if not EmptyForm().validate_on_submit():
        abort(400)
    session = get_session()
    rule = session.get(ProgramRule, rule_id) or abort(404)
    rule.active = not rule.active
    session.add(rule)
    audit.record(session, "update", "program_rule", rule.id,
                 f"program rule {rule.name} {'activated' if rule.active else 'paused'}")
    session.commit()
    return redirect(url_for("winloss.rules"))
