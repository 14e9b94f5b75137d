"""/api/v1/interviews (answers, factor ratings, quotes): read by the program's readers,
recorded (PATCH) through the web's interview form and
`winloss.interviews.record_interview`. An anonymized or blind interviewee is never named
here (`interviews.interviewee_display`, the anonymity rule every list and export follows)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, request
from flask_login import current_user
from sqlmodel import select

from ...access import (
    deal_scope,
    get_deal_for_user,
    get_interview_for_user,
    reads_winloss_program,
    require,
    runs_winloss_program,
)
from ...db import MAX_ID, get_session, id_arg
from ...models import (
    INTERVIEW_STATUSES,
    Deal,
    FactorRating,
    InterviewAnswer,
    InterviewQuote,
    Stakeholder,
    WinLossInterview,
)
from ...winloss.errors import WinLossError
from ...winloss.forms import recording_from_form
from ...winloss.interviews import (
    interviewee_display,
    is_hidden,
    record_interview,
    request_interview,
)
from ..winloss.interviews import interview_form_setup, prefill_interview
from . import _core as core
from ._core import Invalid, bp, fields, one
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
    query = core.in_account(select(WinLossInterview)
                            .join(Deal, Deal.id == WinLossInterview.deal_id)
                            .where(deal_scope(current_user)), Deal.account_id)
    if request.args.get("deal"):
        query = query.where(WinLossInterview.deal_id == (id_arg(request.args["deal"]) or 0))
    status = core.one_of("status", INTERVIEW_STATUSES)
    if status:
        query = query.where(WinLossInterview.status == status)
    return core.listed(query, WinLossInterview.id, interview_items,
                       since=sa.func.coalesce(WinLossInterview.completed_at,
                                              WinLossInterview.requested_at))


@bp.post("/interviews")
@doc("create_interview", write=True, created=True)
def create_interview() -> Any:
    """Request an interview of a closed deal's buyer (`deal`: its id), as the deal page's
    "Request interview": the guide of its outcome, you as the interviewer. Those who run
    the program (403 otherwise)."""
    session = core.writing()
    require(runs_winloss_program(current_user))
    body = core.json_body()
    unknown = sorted(set(body) - {"deal"})
    if unknown:
        raise Invalid({name: ["Unknown field."] for name in unknown})
    raw = body.get("deal")
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise Invalid({"deal": ["A deal's id."]})
    if not 0 < raw <= MAX_ID:
        abort(404)
    deal = get_deal_for_user(session, current_user, raw, write=True)
    try:
        interview = request_interview(session, deal, user=current_user)
    except WinLossError as exc:
        session.rollback()
        raise Invalid({"deal": exc.messages}) from None
    return core.saved_new(lambda: interview, lambda row: interview_items([row])[0],
                          "api.get_interview", "interview_id")


@bp.get("/interviews/<int:interview_id>")
@doc("get_interview")
def get_interview(interview_id: int) -> Any:
    """Read one interview."""
    interview = get_interview_for_user(get_session(), current_user, interview_id)
    return one(interview_items([interview])[0], interview)


# --- recording ------------------------------------------------------------------------------


def _flat(body: dict[str, Any], questions: list[Any], factors: list[Any], slots: int
          ) -> dict[str, Any]:
    """The JSON body as the interview form's fields: `answers` ({question_id, value}) as
    `q_<id>`, `ratings` ({factor_id, rating, importance, effect}) as `r_`/`i_`/`e_<id>`,
    `quotes` ({text, tags, factor_id}; they replace the interview's quotes) as the quote
    slots."""
    flat = {k: v for k, v in body.items() if k not in ("answers", "ratings", "quotes")}
    question_ids = {q.id for q in questions}
    factor_ids = {f.id for f in factors}
    for name, known in (("answers", question_ids), ("ratings", factor_ids)):
        given = body.get(name)
        if given is None:
            continue
        key = "question_id" if name == "answers" else "factor_id"
        if not isinstance(given, list) or any(
                not isinstance(item, dict) or not isinstance(item.get(key), int)
                or isinstance(item.get(key), bool) or item[key] not in known
                for item in given):
            raise Invalid({name: [f"A list of objects, each with a {key} of the guide's."
                                  if name == "answers" else
                                  f"A list of objects, each with an active factor's {key}."]})
        for item in given:
            if name == "answers":
                flat[f"q_{item['question_id']}"] = item.get("value")
            else:
                for field, prefix in (("rating", "r"), ("importance", "i"), ("effect", "e")):
                    if field in item:
                        flat[f"{prefix}_{item['factor_id']}"] = item[field]
    quotes = body.get("quotes")
    if quotes is not None:
        if not isinstance(quotes, list) or any(not isinstance(q, dict) for q in quotes):
            raise Invalid({"quotes": ["A list of objects with text, tags and factor_id."]})
        for n in range(1, slots + 1):
            quote = quotes[n - 1] if n <= len(quotes) else {}
            tags = quote.get("tags")
            if isinstance(tags, list) and all(isinstance(t, str) for t in tags):
                tags = "; ".join(tags)
            flat[f"quote_text_{n}"] = quote.get("text") or ""
            flat[f"quote_tags_{n}"] = tags or ""
            flat[f"quote_factor_{n}"] = quote.get("factor_id") or ""
    return flat


_GROUPS = (("q_", "answers"), ("r_", "ratings"), ("i_", "ratings"), ("e_", "ratings"),
           ("quote_", "quotes"))


def _named(exc: Invalid, form_class: Any) -> Invalid:
    """A form field's error under the JSON list it came from (`r_3` is in `ratings`),
    each message led by the field's label ("Price rating: Not a valid choice.")."""
    errors: dict[str, list[str]] = {}
    for name, messages in exc.errors.items():
        group = next((g for prefix, g in _GROUPS if name.startswith(prefix)), None)
        if group is None:
            errors.setdefault(name, []).extend(messages)
            continue
        unbound = getattr(form_class, name, None)
        label = unbound.args[0] if unbound is not None and unbound.args else name
        errors.setdefault(group, []).extend(f"{label}: {m}" for m in messages)
    return Invalid(errors)


@bp.patch("/interviews/<int:interview_id>")
@doc("update_interview", write=True)
def update_interview(interview_id: int) -> Any:
    """Schedule or record an interview, as its web form does: its fields, `answers`,
    `ratings` and `quotes` (only what is given changes; `quotes` replaces them all).
    If-Match: its ETag."""
    session = core.writing()
    interview = get_interview_for_user(session, current_user, interview_id, write=True)
    body = core.json_body()
    given = body.get("quotes")
    deal, questions, factors, existing, slots, form_class = interview_form_setup(
        session, interview, quotes_given=len(given) if isinstance(given, list) else 0)

    def make(formdata: Any) -> Any:
        form = core.form_of(form_class, formdata, obj=interview)
        if formdata is None:
            prefill_interview(form, interview, existing)
        return form

    def write(form: Any, version: int) -> None:
        record_interview(session, interview, data=form.data_dict(),
                         recording=recording_from_form(form, questions, factors, slots),
                         expected_version=version, user=current_user)

    try:
        return core.updated(interview, make, write, lambda: interview_items([interview])[0],
                            body=_flat(body, questions, factors, slots))
    except Invalid as exc:
        raise _named(exc, form_class) from None
