"""The interview queue, the interview page and recording an interview."""

from __future__ import annotations

from typing import Any, NamedTuple

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlmodel import select

from ...access import (
    get_interview_for_user,
    interview_access,
    permission_required,
    reads_winloss_program,
)
from ...db import StaleEditError, get_session
from ...listing import Column, wants_csv
from ...models import (
    INTERVIEW_STATUSES,
    OUTCOMES,
    Deal,
    DecisionFactor,
    FactorRating,
    GuideQuestion,
    InterviewAnswer,
    InterviewQuote,
    Stakeholder,
    WinLossInterview,
)
from ...winloss.deals import (
    ANY_CLOSED,
    STATUS_GROUPS,
    WON_OR_LOST,
    guide_for_outcome,
)
from ...winloss.forms import (
    QUOTE_SLOTS,
    interview_form_class,
    recording_from_form,
)
from ...winloss.interviews import (
    FACTOR_EFFECTS,
    INTERVIEW_LIST,
    all_interviews,
    guide_questions,
    list_interviews,
)
from ...winloss.interviews import record_interview as save_recording
from ...winloss.taxonomy import list_factors
from .._request import edit_conflict, list_csv, list_state, page_arg
from ._common import bp

INTERVIEW_CSV = (
    Column("Deal", lambda r: r["deal"].name), Column("Account", lambda r: r["account"]),
    Column("Outcome", lambda r: r["deal"].outcome),
    Column("Interviewee", lambda r: r["interviewee"]),
    Column("Status", lambda r: r["interview"].status),
    Column("Requested", lambda r: r["interview"].requested_at),
    Column("Completed", lambda r: r["interview"].completed_at),
    Column("Interviewer", lambda r: r["interviewer"]),
    # filtered by a factor (`factor=`): its rating and the effect named, as averaged and
    # counted by the factor impact
    Column("Rating", lambda r: r["rating"]), Column("Effect", lambda r: r["effect"]),
)


@bp.route("/interviews")
@permission_required(reads_winloss_program)
def queue() -> Any:
    state = list_state(INTERVIEW_LIST, choices={"status": (*INTERVIEW_STATUSES, *STATUS_GROUPS),
                                                "outcome": (*OUTCOMES, ANY_CLOSED,
                                                            WON_OR_LOST),
                                                "effect": FACTOR_EFFECTS})
    by = {"status": state.get("status"), "account_id": state.get("account"),
          "outcome": state.get("outcome"), "closed_from": state.get("closed_from"),
          "closed_to": state.get("closed_to"), "reason_id": state.get("reason"),
          "rep_reason_id": state.get("rep_reason"), "factor_id": state.get("factor"),
          "effect": state.get("effect"), "sort": state.sort}
    if wants_csv(request.args):
        return list_csv(INTERVIEW_LIST, INTERVIEW_CSV, all_interviews(get_session(), **by))
    page = list_interviews(get_session(), **by, page=page_arg())
    return render_template("winloss/queue.html", page=page, state=state, args=state.args,
                           status=state.get("status"), outcome=state.get("outcome"),
                           statuses=INTERVIEW_STATUSES, status_groups=STATUS_GROUPS,
                           outcomes=OUTCOMES,
                           factor=get_session().get(DecisionFactor, state.get("factor"))
                           if state.get("factor") else None)


@bp.route("/interviews/<int:interview_id>")
@login_required
def interview(interview_id: int) -> str:
    session = get_session()
    interview, can_edit = interview_access(session, current_user, interview_id)
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
        can_edit=can_edit)


@bp.route("/interviews/<int:interview_id>/record", methods=["GET", "POST"])
@login_required
def record_interview(interview_id: int) -> Any:
    """Schedule or record an interview: guide answers, factor ratings, quotes, reason."""
    session = get_session()
    interview = get_interview_for_user(session, current_user, interview_id, write=True)
    deal, questions, factors, existing_quotes, slots, form_class = interview_form_setup(
        session, interview)
    # Pre-filled from the interview on GET only; a POST is judged on what was sent.
    form = form_class(obj=interview if request.method == "GET" else None)
    if request.method == "GET":
        prefill_interview(form, interview, existing_quotes)
    conflict = None
    if form.validate_on_submit():
        try:
            save_recording(session, interview, data=form.data_dict(),
                           recording=recording_from_form(form, questions, factors, slots),
                           expected_version=form.version.data, user=current_user)
        except StaleEditError:
            data = form.data_dict()
            conflict = edit_conflict(session, form, interview,
                                     {name: data[name] for name in _COMPARED}, entity="interview")
        else:
            session.commit()
            flash("Interview saved.", "success")
            return redirect(url_for("winloss.interview", interview_id=interview.id))
    return render_template(
        "winloss/interview_form.html", form=form, interview=interview, deal=deal,
        questions=questions, factors=factors, slots=slots,
        conflict=conflict), 409 if conflict else 200


# The interview's own fields compared in the edit-conflict table (answers, ratings and
# quotes stay in the form as typed).
_COMPARED = ("stakeholder_id", "contact_name", "contact_title", "anonymity", "status",
             "channel", "primary_reason_id", "notes")


class InterviewFormSetup(NamedTuple):
    """What the interview form is built from: its deal, the guide's questions, the active
    factors, the quotes it has, the quote slots and the form class."""

    deal: Deal
    questions: list[Any]
    factors: list[Any]
    quotes: list[InterviewQuote]
    slots: int
    form_class: type


def interview_form_setup(session: Any, interview: WinLossInterview, *,
                         quotes_given: int = 0) -> InterviewFormSetup:
    """The interview form as the record page and the API's PATCH build it: the guide of
    the deal's outcome when none is set yet, the account's people (never an erased one),
    a quote slot more than it has (or as many as `quotes_given`)."""
    deal = session.get(Deal, interview.deal_id)
    if interview.guide_id is None:
        guide = guide_for_outcome(session, deal.outcome)
        interview.guide_id = guide.id if guide else None
    questions = guide_questions(session, interview.guide_id)
    factors = list_factors(session, active_only=True)
    people = list(session.exec(
        select(Stakeholder).where(Stakeholder.account_id == deal.account_id,
                                  Stakeholder.erased_at.is_(None))
        .order_by(Stakeholder.name)).all()) if deal.account_id else []
    quotes = list(session.exec(select(InterviewQuote).where(
        InterviewQuote.interview_id == interview.id).order_by(InterviewQuote.id)).all())
    slots = max(QUOTE_SLOTS, len(quotes) + 1, quotes_given)
    return InterviewFormSetup(deal, questions, factors, quotes, slots,
                              interview_form_class(questions, factors, people, slots))


def prefill_interview(form: Any, interview: WinLossInterview,
                      quotes: list[InterviewQuote]) -> None:
    """The interview form as its page shows it (the API's PATCH starts from it too)."""
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


