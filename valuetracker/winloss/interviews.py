"""Interviews: who is shown, guides, recording answers, ratings and quotes, buyer surveys.

The write functions (`request_interview`, `record_interview`, `send_survey`,
`withdraw_survey_link`, `submit_survey`) record their audit event and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from .. import audit, events, links
from ..db import check_version
from ..listing import DATE, ID, Filter, ListSpec, Sort
from ..models import (
    CLOSED_OUTCOMES,
    ROLLUP_DEALS,
    ROLLUP_INTERVIEWS,
    AccessLink,
    Account,
    Deal,
    FactorRating,
    GuideQuestion,
    InterviewAnswer,
    InterviewQuote,
    Stakeholder,
    User,
    WinLossInterview,
    label,
    utcnow,
)
from ..pagination import Page, paginate_keys
from ..value.outreach import OpenLink, SentLink, email_link, open_links
from .deals import (
    ANY_CLOSED,
    DAYS_COUNTED,
    WON_OR_LOST,
    WON_OR_LOST_OUTCOMES,
    closed_in_period,
    guide_for_outcome,
    interview_status_condition,
)
from .errors import WinLossError

# The fields of an interview the recording form sets (completed_at: see record_interview).
INTERVIEW_FIELDS = ("stakeholder_id", "contact_name", "contact_title", "anonymity", "status",
                    "channel", "scheduled_for", "completed_at", "primary_reason_id", "notes")

# Interviews whose interviewee is never named outside the interview page itself.
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


def with_deal_and_interviewee(statement: Any) -> Any:
    """`statement` (whose FROM has `winloss_interview`) joined to the interview's deal,
    the deal's account and the interviewee, as lists of interviews and quotes show them.
    The account and the interviewee may be missing (a deal of no account, a contact who
    is not a stakeholder): outer joins."""
    return (statement.join(Deal, Deal.id == WinLossInterview.deal_id)
            .join(Account, Account.id == Deal.account_id, isouter=True)
            .join(Stakeholder, Stakeholder.id == WinLossInterview.stakeholder_id,
                  isouter=True))


def guide_questions(session: Session, guide_id: int | None) -> list[GuideQuestion]:
    if guide_id is None:
        return []
    return list(session.exec(
        select(GuideQuestion).where(GuideQuestion.guide_id == guide_id)
        .order_by(GuideQuestion.position, GuideQuestion.id)).all())


def choice_list(question: GuideQuestion) -> list[str]:
    return [c.strip() for c in (question.choices or "").split(";") if c.strip()]


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
        session.execute(sa.delete(model).where(model.interview_id == interview.id)
                        .execution_options(**{ROLLUP_DEALS: ()}))
    # Only the factors on the form are replaced: ratings of since-retired factors stay.
    session.execute(sa.delete(FactorRating).where(
        FactorRating.interview_id == interview.id,
        FactorRating.factor_id.in_(list(recording.ratings)))
        .execution_options(**{ROLLUP_INTERVIEWS: (interview.id,)}))
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


def as_noon_utc(day: date | None) -> datetime | None:
    """A date picked in a form as a timestamp (noon UTC: the same day in every zone)."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC) if day else None


def request_interview(session: Session, deal: Deal, *,
                      user: User | None = None) -> WinLossInterview:
    """Request an interview of a closed deal's buyer (the guide for its outcome), with
    `user` as interviewer.

    Raises WinLossError for a deal that is not closed. Records "create interview".
    Does not commit.
    """
    if deal.outcome not in CLOSED_OUTCOMES:
        raise WinLossError("Interviews are for closed deals.")
    guide = guide_for_outcome(session, deal.outcome)
    interview = WinLossInterview(deal_id=deal.id, status="requested",
                                 guide_id=guide.id if guide else None,
                                 interviewer_id=user.id if user is not None else None)
    audit.add_created(session, interview, entity="interview",
                      summary=f"interview requested for deal {deal.name}", user=user)
    return interview


def record_interview(session: Session, interview: WinLossInterview, *, data: dict[str, Any],
                     recording: Recording, expected_version: Any,
                     user: User | None = None) -> dict[str, list[Any]]:
    """Schedule or record an interview: its fields (INTERVIEW_FIELDS), then its answers,
    factor ratings and quotes (`store_recording`).

    `data["completed_at"]` is the completion date given; none keeps the one recorded
    while the interview is completed, and the first completion is stamped now. An
    interview without interviewer gets `user`. Records "update interview" naming the
    changed fields, never their values (an anonymous interviewee stays anonymous);
    returns the diff. Raises `db.StaleEditError` (nothing changed) when someone saved the
    interview since the form was loaded at `expected_version`. Does not commit.
    """
    check_version(session, interview, expected_version)
    was = interview.status
    values = {key: data[key] for key in INTERVIEW_FIELDS if key in data}
    given_completed_at = values.get("completed_at")
    values["completed_at"] = given_completed_at or interview.completed_at
    if interview.interviewer_id is None and user is not None:
        values["interviewer_id"] = user.id
    deal = session.get(Deal, interview.deal_id)
    diff = audit.apply_changes(
        session, interview, values, entity="interview",
        summary=lambda: f"interview of deal {deal.name if deal else interview.deal_id} "
                        f"recorded ({interview.status})",
        redact=lambda changed: {key: "changed" for key in changed}, user=user)
    if interview.status != "completed":
        interview.completed_at = given_completed_at
    mark_completed(interview)
    session.add(interview)
    store_recording(session, interview, recording)
    if interview.status == "completed" and was != "completed":
        emit_completed(session, interview, deal, user=user)
    return diff


def emit_completed(session: Session, interview: WinLossInterview, deal: Deal | None, *,
                   user: User | None) -> None:
    """Emit interview.completed. Names the deal, never the interviewee (who may be
    anonymous)."""
    events.emit(session, "interview.completed",
                account_id=deal.account_id if deal is not None else None,
                entity="interview", entity_id=interview.id, user=user,
                data={"deal_id": interview.deal_id, "deal": deal.name if deal else None,
                      "outcome": deal.outcome if deal else None, "channel": interview.channel,
                      "primary_reason_id": interview.primary_reason_id})


_OPEN_FIRST = sa.case((WinLossInterview.status.in_(("requested", "scheduled")), 0), else_=1)
# The queue's sorts and filters (listing.py reads them from the URL).
INTERVIEW_LIST = ListSpec(
    endpoint="winloss.queue", title="Interviews",
    sorts={
        "open": Sort("Open requests first", (_OPEN_FIRST,)),
        "requested": Sort("Requested", (WinLossInterview.requested_at,)),
        "status": Sort("Status", (WinLossInterview.status,)),
    },
    default_sort="open",
    filters=(Filter("status", "Status"), Filter("outcome", "Outcome"),
             Filter("account", "Account", ID),
             Filter("closed_from", "Deal closed from", DATE),
             Filter("closed_to", "Deal closed to", DATE),
             Filter("reason", "Buyer's primary reason", ID),
             Filter("rep_reason", "Rep's primary reason", ID),
             Filter("factor", "Factor rated", ID), Filter("effect", "Factor's effect")),
    tie_breaks=(WinLossInterview.requested_at.desc(), WinLossInterview.id.desc()),
)
# The interview list's `effect` filter, with `factor`: a rating of the factor given
# (`rated`, the factor impact's "(n)"), or the factor named a win or loss driver.
FACTOR_EFFECTS = ("rated", "win_driver", "loss_driver")


def rated_factor(factor_id: int, effect: str | None = None) -> Any:
    """SQL condition: interviews that rate the factor (`FACTOR_EFFECTS`; None: any row of
    it), as the factor impact counts them (`rollups.deals`, kind `factor`)."""
    where = [FactorRating.interview_id == WinLossInterview.id,
             FactorRating.factor_id == factor_id]
    if effect == "rated":
        where.append(FactorRating.rating.is_not(None))
    elif effect:
        where.append(FactorRating.effect == effect)
    return sa.exists().where(*where)


def _queue_keys(status: str | None, account_id: int | None, outcome: str | None,
                closed_from: date | None = None, closed_to: date | None = None, *,
                reason_id: int | None = None, rep_reason_id: int | None = None,
                factor_id: int | None = None, effect: str | None = None) -> Any:
    keys = select(WinLossInterview.id)
    if status:
        keys = keys.where(interview_status_condition(status))
    if reason_id:
        keys = keys.where(WinLossInterview.primary_reason_id == reason_id)
    if factor_id:
        keys = keys.where(rated_factor(factor_id, effect))
    if account_id or outcome or closed_from or closed_to or rep_reason_id \
            or status == DAYS_COUNTED:
        keys = keys.join(Deal, Deal.id == WinLossInterview.deal_id)
        if account_id:
            keys = keys.where(Deal.account_id == account_id)
        if outcome == ANY_CLOSED:
            # The analytics' interviews: those of deals closed in the period.
            keys = keys.where(*closed_in_period(closed_from, closed_to))
        else:
            if outcome == WON_OR_LOST:
                keys = keys.where(Deal.outcome.in_(WON_OR_LOST_OUTCOMES))
            elif outcome:
                keys = keys.where(Deal.outcome == outcome)
            if closed_from:
                keys = keys.where(Deal.closed_on >= closed_from)
            if closed_to:
                keys = keys.where(Deal.closed_on <= closed_to)
        if rep_reason_id:
            keys = keys.where(Deal.rep_reason_id == rep_reason_id)
    return keys


def _queue_rows(session: Session, result_rows: Any, factor_id: int | None = None
                ) -> list[dict[str, Any]]:
    """The list's rows; filtered by a factor, each with its rating of the factor and the
    effect named (a factor impact's inputs: its list shows the ratings it averages),
    one more query for the page."""
    rows = [{"interview": i, "deal": d, "account": a, "interviewer": u,
             "interviewee": interviewee_display(i, s), "rating": None, "effect": None}
            for i, d, a, s, u in result_rows]
    if factor_id and rows:
        ratings = {interview_id: (rating, effect) for interview_id, rating, effect
                   in session.exec(select(FactorRating.interview_id, FactorRating.rating,
                                          FactorRating.effect).where(
                       FactorRating.factor_id == factor_id,
                       FactorRating.interview_id.in_([r["interview"].id for r in rows])))}
        for row in rows:
            row["rating"], row["effect"] = ratings.get(row["interview"].id, (None, None))
    return rows


def _queue_select() -> Any:
    return (with_deal_and_interviewee(
        select(WinLossInterview, Deal, Account.name, Stakeholder, User.name))
        .join(User, User.id == WinLossInterview.interviewer_id, isouter=True))


def list_interviews(
    session: Session,
    *,
    status: str | None = None,
    account_id: int | None = None,
    outcome: str | None = None,
    closed_from: date | None = None,
    closed_to: date | None = None,
    sort: str = INTERVIEW_LIST.default_sort,
    page: int = 1,
    size: int = 50,
    **by: Any,
) -> Page:
    """The interview queue: by default open requests first, then the rest, newest first.

    Rows are dicts with the interviewee already shown through `interviewee_display`.
    The page's ids are counted and sorted on `winloss_interview` alone (the deal is
    joined only to filter by account or outcome); deals, accounts, stakeholders and
    interviewers are joined to those ids only, so the joins cost one page whatever the
    queue's size. A page past the end shows the last page.
    """
    order = INTERVIEW_LIST.order_by(sort)
    keys = _queue_keys(status, account_id, outcome, closed_from, closed_to, **by)
    result = paginate_keys(session, keys.order_by(*order), lambda page_ids: (
        _queue_select().where(WinLossInterview.id.in_(page_ids)).order_by(*order)
    ), number=page, size=size)
    result.items = _queue_rows(session, result.items, by.get("factor_id"))
    return result


def all_interviews(session: Session, *, status: str | None = None,
                   account_id: int | None = None, outcome: str | None = None,
                   closed_from: date | None = None, closed_to: date | None = None,
                   sort: str = INTERVIEW_LIST.default_sort, **by: Any) -> list[dict[str, Any]]:
    """Every interview of the queue as filtered (not one page), as `list_interviews` rows;
    `by`: `_queue_keys`' reasons and factor."""
    keys = _queue_keys(status, account_id, outcome, closed_from, closed_to, **by)
    return _queue_rows(session, session.exec(
        _queue_select().where(WinLossInterview.id.in_(keys))
        .order_by(*INTERVIEW_LIST.order_by(sort))).all(), by.get("factor_id"))


def has_completed_interview(session: Session, deal_id: int) -> bool:
    return session.exec(select(WinLossInterview.id).where(
        WinLossInterview.deal_id == deal_id, WinLossInterview.status == "completed"
    ).limit(1)).first() is not None


def may_survey(session: Session, deal: Deal) -> bool:
    """A buyer survey is for a closed deal with an account whose interview is not done:
    an open request (one a program rule made, say) is what the answers complete."""
    return deal.outcome in CLOSED_OUTCOMES and deal.account_id is not None \
        and not has_completed_interview(session, deal.id)


SURVEY_REFUSED = "A buyer survey is only for a closed deal whose interview is not done yet."


def open_survey_links(session: Session, deal: Deal) -> list[OpenLink]:
    """The deal's survey links still waiting for an answer (`outreach.OpenLink`s)."""
    return open_links(session, deal_id=deal.id, purposes=("buyer_survey",))


def send_survey(session: Session, deal: Deal, stakeholder: Stakeholder, *,
                user: User | None = None) -> SentLink:
    """Mail the buyer survey of a closed deal to a person at its account, signed by
    `user`, in place of any survey link of the deal still open for them (withdrawn).
    Returns the `outreach.SentLink`.

    Raises WinLossError unless `may_survey` and the person may be mailed
    (`Stakeholder.contact_block_reason`), and the mail errors (smtplib.SMTPException,
    OSError). Records "create access_link" ("resend" when it replaces a link), without
    the person's name: the answers may come back anonymized. Does not commit; the mail
    goes out before the commit, as every link's does.
    """
    if not may_survey(session, deal):
        raise WinLossError(SURVEY_REFUSED)
    if stakeholder.account_id != deal.account_id:
        raise WinLossError("This person does not work at the deal's account.",
                           field="stakeholder_id")
    reason = stakeholder.contact_block_reason(by_email=True)
    if reason:
        raise WinLossError(f"{stakeholder.name} gets no survey: {reason}.",
                           field="stakeholder_id")
    replaced = [row.link for row in open_survey_links(session, deal)
                if row.link.stakeholder_id == stakeholder.id]
    for old in replaced:
        links.revoke_link(session, old)
    link, token = links.create_link(session, "buyer_survey", deal_id=deal.id,
                                    account_id=deal.account_id, stakeholder_id=stakeholder.id,
                                    created_by_id=user.id if user is not None else None)
    account = session.get(Account, deal.account_id)
    assert account is not None
    sent = email_link(session, link, token, stakeholder=stakeholder, account=account, deal=deal,
                      sender=user)
    if replaced:
        audit.record(session, "resend", "access_link", link.id,
                     f"buyer survey for deal {deal.name} sent again",
                     details={"replaces": [old.id for old in replaced]}, user=user)
    else:
        audit.record(session, "create", "access_link", link.id,
                     f"buyer survey for deal {deal.name} sent", user=user)
    return sent


def withdraw_survey_link(session: Session, link: AccessLink, *,
                         user: User | None = None) -> None:
    """Withdraw an unanswered survey link (it then shows "no longer valid"). Records
    "revoke access_link". Does not commit."""
    links.revoke_link(session, link)
    deal = session.get(Deal, link.deal_id) if link.deal_id else None
    audit.record(session, "revoke", "access_link", link.id,
                 f"buyer survey link withdrawn on deal {deal.name if deal else ''}", user=user)


def submit_survey(
    session: Session,
    link: AccessLink,
    deal: Deal,
    *,
    guide_id: int | None,
    recording: Recording,
    primary_reason_id: int | None,
    named: bool,
    comment: str | None,
    when: datetime | None = None,
) -> WinLossInterview:
    """A buyer's survey answers, through their link, become a completed interview with
    channel "survey" (the deal's open request, if there is one); the link is used up.

    Anonymized unless the buyer agreed to be named. Raises `links.LinkError` for a
    used, expired or withdrawn link. Records "create interview". Does not commit.
    """
    links.consume_link(session, link)
    now = when or utcnow()
    interview = session.exec(select(WinLossInterview).where(
        WinLossInterview.deal_id == deal.id,
        WinLossInterview.status.in_(("requested", "scheduled"))).limit(1)).first()
    if interview is None:
        interview = WinLossInterview(deal_id=deal.id, requested_at=now)
    else:  # the buyer's answers change the request: a form opened before must not undo them
        check_version(session, interview, interview.version)
    interview.stakeholder_id = link.stakeholder_id
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
    audit.record(session, "create", "interview", interview.id,
                 f"buyer survey answered for deal {deal.id}")
    emit_completed(session, interview, deal, user=None)
    return interview
