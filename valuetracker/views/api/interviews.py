"""/api/v1/interviews (answers, factor ratings, quotes), read-only: recording an
interview stays on its web page. An anonymized or blind interviewee is never named here
(`interviews.interviewee_display`, the anonymity rule every list and export follows)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import request
from flask_login import current_user
from sqlmodel import select

from ...access import deal_scope, get_interview_for_user, reads_winloss_program, require
from ...db import get_session, id_arg
from ...models import (
    INTERVIEW_STATUSES,
    Deal,
    FactorRating,
    InterviewAnswer,
    InterviewQuote,
    Stakeholder,
    WinLossInterview,
)
from ...winloss.interviews import interviewee_display, is_hidden
from ._core import Invalid, account_arg, bp, cursor_page, fields, listing, one, updated_since
from .spec import doc

INTERVIEW_FIELDS = ("id", "deal_id", "status", "channel", "anonymity", "requested_at",
                    "scheduled_for", "completed_at", "primary_reason_id", "interviewer_id",
                    "version")


def interview_items(interviews: list[WinLossInterview]) -> list[dict[str, Any]]:
    """Interviews with their answers, ratings and quotes: four queries for the page."""
    session = get_session()
    ids = [i.id for i in interviews]
    answers: dict[int, list[Any]] = {i: [] for i in ids}
    ratings: dict[int, list[Any]] = {i: [] for i in ids}
    quotes: dict[int, list[Any]] = {i: [] for i in ids}
    people: dict[int, Stakeholder] = {}
    if ids:
        for a in session.exec(select(InterviewAnswer).where(
                InterviewAnswer.interview_id.in_(ids)).order_by(InterviewAnswer.id)):
            answers[a.interview_id].append(fields(a, ("question_id", "text", "rating",
                                                      "choice")))
        for r in session.exec(select(FactorRating).where(
                FactorRating.interview_id.in_(ids)).order_by(FactorRating.id)):
            ratings[r.interview_id].append(fields(r, ("factor_id", "rating", "importance",
                                                      "effect")))
        for q in session.exec(select(InterviewQuote).where(
                InterviewQuote.interview_id.in_(ids)).order_by(InterviewQuote.id)):
            quotes[q.interview_id].append({"text": q.text, "factor_id": q.factor_id,
                                           "tags": [t.strip() for t in (q.tags or "").split(";")
                                                    if t.strip()]})
        person_ids = sorted({i.stakeholder_id for i in interviews if i.stakeholder_id})
        if person_ids:
            people = {p.id: p for p in session.exec(select(Stakeholder).where(
                Stakeholder.id.in_(person_ids)))}
    items = []
    for i in interviews:
        person = people.get(i.stakeholder_id or 0)
        hidden = is_hidden(i)
        items.append({**fields(i, INTERVIEW_FIELDS),
                      "interviewee": interviewee_display(i, person),
                      "stakeholder_id": None if hidden else i.stakeholder_id,
                      "answers": answers[i.id], "ratings": ratings[i.id],
                      "quotes": quotes[i.id]})
    return items


@bp.get("/interviews")
@doc("list_interviews")
def list_interviews() -> Any:
    """List win/loss interviews (`account`, `deal`, `status`) with answers, ratings and
    quotes; `updated_since` is when completed (else requested). The program's readers
    only (analysts, leaders, admins)."""
    require(reads_winloss_program(current_user))
    session = get_session()
    query = (select(WinLossInterview).join(Deal, Deal.id == WinLossInterview.deal_id)
             .where(deal_scope(current_user)))
    account = account_arg(session, current_user)
    if account is not None:
        query = query.where(Deal.account_id == account.id)
    if request.args.get("deal"):
        query = query.where(WinLossInterview.deal_id == (id_arg(request.args["deal"]) or 0))
    status = request.args.get("status")
    if status:
        if status not in INTERVIEW_STATUSES:
            raise Invalid({"status": ["One of " + ", ".join(INTERVIEW_STATUSES) + "."]})
        query = query.where(WinLossInterview.status == status)
    since = updated_since()
    if since is not None:
        query = query.where(sa.func.coalesce(WinLossInterview.completed_at,
                                             WinLossInterview.requested_at) >= since)
    rows, nxt = cursor_page(session, query, WinLossInterview.id)
    return listing(interview_items(rows), nxt)


@bp.get("/interviews/<int:interview_id>")
@doc("get_interview")
def get_interview(interview_id: int) -> Any:
    """Read one interview."""
    interview = get_interview_for_user(get_session(), current_user, interview_id)
    return one(interview_items([interview])[0], interview)
