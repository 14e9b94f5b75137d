"""Interviews: who is shown, guides, recording answers, ratings and quotes, buyer surveys."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ..models import (
    Account,
    Deal,
    FactorRating,
    GuideQuestion,
    InterviewAnswer,
    InterviewGuide,
    InterviewQuote,
    Stakeholder,
    User,
    WinLossInterview,
    label,
    utcnow,
)
from ..pagination import Page, paginate_keys

HIDDEN_ANONYMITY = ("anonymized", "blind")


def is_hidden(interview: WinLossInterview) -> bool:
    """Does this interview hide who was interviewed?"""
    return interview.anonymity in HIDDEN_ANONYMITY


def interviewee_display(interview: WinLossInterview, stakeholder: Stakeholder | None) -> str:
    """How the interviewee is named everywhere except the interview page itself.

    THE anonymity rule: an anonymized or blind interviewee's name and title never
    leave the interview page; every list, export and report calls this.
    """
    if is_hidden(interview):
        role = label(stakeholder.buying_role).lower() if stakeholder is not None else "buyer"
        return f"Anonymized interviewee ({role})"
    if stakeholder is not None:
        name, title = stakeholder.name, stakeholder.title
    else:
        name, title = interview.contact_name, interview.contact_title
    if not name:
        return "Interviewee not chosen yet"
    return f"{name}, {title}" if title else name


def guide_questions(session: Session, guide_id: int | None) -> list[GuideQuestion]:
    if guide_id is None:
        return []
    return list(session.exec(
        select(GuideQuestion).where(GuideQuestion.guide_id == guide_id)
        .order_by(GuideQuestion.position, GuideQuestion.id)).all())


def choice_list(question: GuideQuestion) -> list[str]:
    return [c.strip() for c in (question.choices or "").split(";") if c.strip()]


def renumber_questions(session: Session, guide: InterviewGuide) -> None:
    """Positions 10, 20, 30... in the current order (so moves are simple swaps)."""
    for i, question in enumerate(guide_questions(session, guide.id), start=1):
        question.position = i * 10
        session.add(question)
    session.flush()


def move_question(session: Session, question: GuideQuestion, step: int) -> None:
    """Move a question up (-1) or down (+1) in its guide. Caller commits."""
    guide = session.get(InterviewGuide, question.guide_id)
    questions = guide_questions(session, question.guide_id)
    index = next(i for i, q in enumerate(questions) if q.id == question.id)
    other = index + step
    if 0 <= other < len(questions):
        questions[index], questions[other] = questions[other], questions[index]
        for i, q in enumerate(questions, start=1):
            q.position = i * 10
            session.add(q)
    elif guide is not None:
        renumber_questions(session, guide)
    session.flush()


@dataclass
class Recording:
    """What an interview form collected, validated, ready to store."""

    answers: dict[int, Any] = field(default_factory=dict)  # question id -> text/int/choice
    ratings: dict[int, tuple[int | None, int | None, str]] = field(default_factory=dict)
    quotes: list[tuple[str, str | None, int | None]] = field(default_factory=list)


def normalize_tags(text: str | None) -> str | None:
    """" Pricing ; onboarding," -> "pricing;onboarding" (lower-case, ';'-separated)."""
    tags = [t.strip().lower() for t in (text or "").replace(",", ";").split(";") if t.strip()]
    return ";".join(dict.fromkeys(tags)) or None


def store_recording(session: Session, interview: WinLossInterview, recording: Recording) -> None:
    """Replace the interview's answers, factor ratings and quotes. Caller commits."""
    questions = {q.id: q for q in guide_questions(session, interview.guide_id)}
    for model in (InterviewAnswer, InterviewQuote):
        session.execute(sa.delete(model).where(model.interview_id == interview.id))
    # Only the factors on the form are replaced: ratings of since-retired factors stay.
    session.execute(sa.delete(FactorRating).where(
        FactorRating.interview_id == interview.id,
        FactorRating.factor_id.in_(list(recording.ratings))))
    for question_id, value in recording.answers.items():
        question = questions.get(question_id)
        if question is None or value in (None, ""):
            continue
        answer = InterviewAnswer(interview_id=interview.id, question_id=question_id)
        if question.kind == "rating":
            answer.rating = int(value)
        elif question.kind == "choice":
            answer.choice = str(value)[:200]
        else:
            answer.text = str(value)
        session.add(answer)
    for factor_id, (rating, importance, effect) in recording.ratings.items():
        if rating is None and importance is None and effect == "neutral":
            continue
        session.add(FactorRating(interview_id=interview.id, factor_id=factor_id, rating=rating,
                                 importance=importance, effect=effect))
    for text, tags, factor_id in recording.quotes:
        if text.strip():
            session.add(InterviewQuote(interview_id=interview.id, text=text.strip(),
                                       tags=normalize_tags(tags), factor_id=factor_id))
    session.flush()


def mark_completed(interview: WinLossInterview) -> None:
    """Stamp the completion time the first time an interview is completed."""
    if interview.status == "completed" and interview.completed_at is None:
        interview.completed_at = utcnow()


def list_interviews(
    session: Session,
    *,
    status: str | None = None,
    account_id: int | None = None,
    page: int = 1,
    size: int = 50,
) -> Page:
    """The interview queue: open requests first, then the rest, newest first.

    Rows are dicts with the interviewee already shown through `interviewee_display`.
    The page's ids are counted and sorted on `winloss_interview` alone (the deal is
    joined only to filter by account); deals, accounts, stakeholders and interviewers
    are joined to those ids only, so the joins cost one page whatever the queue's size.
    A page past the end shows the last page.
    """
    keys = select(WinLossInterview.id)
    if status:
        keys = keys.where(WinLossInterview.status == status)
    if account_id:
        keys = keys.join(Deal, Deal.id == WinLossInterview.deal_id).where(
            Deal.account_id == account_id)
    open_first = sa.case((WinLossInterview.status.in_(("requested", "scheduled")), 0), else_=1)
    order = (open_first, WinLossInterview.requested_at.desc(), WinLossInterview.id.desc())
    result = paginate_keys(session, keys.order_by(*order), lambda page_ids: (
        select(WinLossInterview, Deal, Account.name, Stakeholder, User.name)
        .join(Deal, Deal.id == WinLossInterview.deal_id)
        .join(Account, Account.id == Deal.account_id, isouter=True)
        .join(Stakeholder, Stakeholder.id == WinLossInterview.stakeholder_id, isouter=True)
        .join(User, User.id == WinLossInterview.interviewer_id, isouter=True)
        .where(WinLossInterview.id.in_(page_ids))
        .order_by(*order)
    ), number=page, size=size)
    result.items = [
        {"interview": i, "deal": d, "account": a, "interviewer": u,
         "interviewee": interviewee_display(i, s)}
        for i, d, a, s, u in result.items
    ]
    return result


def deal_has_interview(session: Session, deal_id: int) -> bool:
    return session.exec(select(WinLossInterview.id).where(
        WinLossInterview.deal_id == deal_id).limit(1)).first() is not None


def record_survey(
    session: Session,
    deal: Deal,
    *,
    stakeholder_id: int | None,
    guide_id: int | None,
    recording: Recording,
    primary_reason_id: int | None,
    named: bool,
    comment: str | None,
    when: datetime | None = None,
) -> WinLossInterview:
    """A buyer's survey answers become a completed interview with channel "survey".

    Anonymized unless the buyer agreed to be named. Caller commits.
    """
    now = when or utcnow()
    interview = session.exec(select(WinLossInterview).where(
        WinLossInterview.deal_id == deal.id,
        WinLossInterview.status.in_(("requested", "scheduled"))).limit(1)).first()
    if interview is None:
        interview = WinLossInterview(deal_id=deal.id, requested_at=now)
    interview.stakeholder_id = stakeholder_id
    interview.guide_id = guide_id
    interview.status = "completed"
    interview.channel = "survey"
    interview.anonymity = "named" if named else "anonymized"
    interview.completed_at = now
    interview.primary_reason_id = primary_reason_id
    interview.notes = comment or None
    session.add(interview)
    session.flush()
    store_recording(session, interview, recording)
    return interview
