"""The listing sheets of the quarterly review: one row per record of the quarter.

Each sheet is a table of typed columns (read by `spec.columns`) plus a generator that
streams rows straight from one SQL query (`ExportContext.stream`, batches of YIELD_PER
rows). Related names (beneficiaries, competitors) are aggregated in SQL, so there is no
query per row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import select

from ..models import (
    CLOSED_OUTCOMES,
    Account,
    Competitor,
    Deal,
    DealCompetitor,
    DecisionFactor,
    Distribution,
    FactorRating,
    InterviewQuote,
    LoyaltyPulse,
    Stakeholder,
    User,
    ValueCommitment,
    ValueEntry,
    ValueEntryBeneficiary,
    ValueSummary,
    WinLossInterview,
    contact_block,
    is_satisfied_not_loyal,
    label,
    nps_group,
)
from ..quarters import quarter_of
from ..summaries.coverage import coverage_state
from ..summaries.scope import send_exclusion
from ..winloss.interviews import HIDDEN_ANONYMITY, with_deal_and_interviewee
from .spec import ExportContext, Sheet, columns, yes_no

ANONYMOUS = "Anonymized"
# Commitments whose "On time" is settled (open and dropped ones leave it blank).
SETTLED_STATUSES = ("delivered", "missed")


def _day(moment: datetime | None) -> date | None:
    return moment.date() if moment is not None else None


# --- Value delivered -------------------------------------------------------------------

VALUE_COLUMNS = """
    Account
    Segment
    Delivered on
    Title
    Value driver
    Amount              | number | 14
    Unit
    Value               | money  | 16
    Evidence            | text   | 12
    Source              | text   | 18
    Beneficiaries       | text   | 30
    Delivers commitment | text   | 30
    Description         | text   | 50
"""


def value_rows(ctx: ExportContext) -> Iterator[Sequence[Any]]:
    q = ctx.quarter
    # Described entries (the customer's words, not yet reviewed) have no figure: left out.
    in_quarter = sa.and_(ValueEntry.delivered_on.between(q.start, q.end),
                         ValueEntry.counted_condition(), ctx.scope(ValueEntry.account_id))
    beneficiaries = (
        select(ValueEntryBeneficiary.entry_id.label("entry_id"),
               func.aggregate_strings(Stakeholder.name, "; ").label("names"))
        .join(Stakeholder, Stakeholder.id == ValueEntryBeneficiary.stakeholder_id)
        .join(ValueEntry, ValueEntry.id == ValueEntryBeneficiary.entry_id)
        .where(in_quarter)
        .group_by(ValueEntryBeneficiary.entry_id)
        .subquery()
    )
    statement = (
        select(Account.name, Account.segment, ValueEntry.delivered_on, ValueEntry.title,
               ValueEntry.driver, ValueEntry.amount, ValueEntry.unit,
               ValueEntry.evidence_status, ValueEntry.source, beneficiaries.c.names,
               ValueCommitment.title, ValueEntry.description)
        .join(Account, Account.id == ValueEntry.account_id)
        .outerjoin(ValueCommitment, ValueCommitment.id == ValueEntry.commitment_id)
        .outerjoin(beneficiaries, beneficiaries.c.entry_id == ValueEntry.id)
        .where(in_quarter)
        .order_by(Account.name, ValueEntry.delivered_on, ValueEntry.id)
    )
    for (account, segment, delivered_on, title, driver, amount, unit, evidence, source,
         names, commitment, description) in ctx.stream(statement):
        yield (account, segment, delivered_on, title, label(driver), amount, label(unit),
               amount if unit == "currency" else None, label(evidence), source, names,
               commitment, description)


# --- Commitments -----------------------------------------------------------------------

COMMITMENT_COLUMNS = """
    Account
    Title
    Value driver
    Expected amount | number | 14
    Unit
    Expected value  | money  | 16
    Due on          | date   | 12
    Due quarter     | text   | 11
    Status          | text   | 12
    Delivered on
    On time         | text   | 9
    Overdue         | text   | 9
    Delivered by    | text   | 30
"""


def commitment_rows(ctx: ExportContext) -> Iterator[Sequence[Any]]:
    q = ctx.quarter
    window = sa.and_(ValueCommitment.due_on.between(q.start, q.next().end),
                     ctx.scope(ValueCommitment.account_id))
    delivered_by = (
        select(ValueEntry.commitment_id.label("commitment_id"),
               func.aggregate_strings(ValueEntry.title, "; ").label("titles"))
        .join(ValueCommitment, ValueCommitment.id == ValueEntry.commitment_id)
        .where(window)
        .group_by(ValueEntry.commitment_id)
        .subquery()
    )
    statement = (
        select(Account.name, ValueCommitment.title, ValueCommitment.driver,
               ValueCommitment.expected_amount, ValueCommitment.unit, ValueCommitment.due_on,
               ValueCommitment.status, ValueCommitment.delivered_on, delivered_by.c.titles,
               ValueCommitment.on_time_condition(), ValueCommitment.overdue_condition(ctx.today))
        .join(Account, Account.id == ValueCommitment.account_id)
        .outerjoin(delivered_by, delivered_by.c.commitment_id == ValueCommitment.id)
        .where(window)
        .order_by(ValueCommitment.due_on, Account.name, ValueCommitment.id)
    )
    start_month = q.start_month
    for (account, title, driver, expected, unit, due_on, status, delivered_on,
         titles, delivered_on_time, overdue) in ctx.stream(statement):
        # "On time" is answered once the commitment is settled: delivered or missed.
        on_time = yes_no(delivered_on_time) if status in SETTLED_STATUSES else None
        yield (account, title, label(driver), expected, label(unit),
               expected if unit == "currency" else None, due_on,
               quarter_of(due_on, start_month).label, label(status), delivered_on,
               on_time, yes_no(overdue), titles)


# --- Stakeholder coverage --------------------------------------------------------------

COVERAGE_COLUMNS = """
    Account
    Stakeholder            | text     | 26
    Title                  | text     | 24
    Buying role            | text     | 18
    Email                  | text     | 28
    Counts toward coverage | text     | 12
    State                  | text     | 10
    Reason                 | text     | 22
    Summary generated      | datetime | 18
    Sent at                | datetime | 18
    Channels               | text     | 12
"""


def coverage_rows(ctx: ExportContext) -> Iterator[Sequence[Any]]:
    sendings = (
        select(ValueSummary.stakeholder_id.label("stakeholder_id"),
               func.max(ValueSummary.generated_at).label("generated_at"),
               func.max(sa.case((Distribution.status == "sent", Distribution.sent_at)))
               .label("sent_at"),
               func.max(sa.case((Distribution.status == "sent", 1), else_=0)).label("sent"),
               func.aggregate_strings(
                   sa.case((Distribution.status == "sent", Distribution.channel)), ", "
               ).label("channels"))
        .outerjoin(Distribution, Distribution.summary_id == ValueSummary.id)
        .where(ValueSummary.quarter == ctx.quarter.label,
               ValueSummary.variant == "stakeholder",
               ValueSummary.stakeholder_id.is_not(None),
               ctx.scope(ValueSummary.account_id))
        .group_by(ValueSummary.stakeholder_id)
        .subquery()
    )
    statement = (
        select(Account.name, Account.status, Stakeholder.name, Stakeholder.title,
               Stakeholder.buying_role, Stakeholder.email, Stakeholder.opted_out_at,
               Stakeholder.left_company_at, sendings.c.generated_at, sendings.c.sent_at,
               sendings.c.sent, sendings.c.channels)
        .join(Account, Account.id == Stakeholder.account_id)
        .outerjoin(sendings, sendings.c.stakeholder_id == Stakeholder.id)
        .where(Stakeholder.is_key.is_(True), Stakeholder.erased_at.is_(None),
               ctx.scope(Stakeholder.account_id))
        .order_by(Account.name, Stakeholder.name, Stakeholder.id)
    )
    for (account, status, name, title, role, email, opted_out_at, left_at, generated_at,
         sent_at, sent, channels) in ctx.stream(statement):
        # The coverage page's rule: in the quarter's send (account status, then the
        # contact rule by e-mail), then sent / generated.
        blocked = contact_block(erased=False, left=left_at is not None,
                                opted_out=opted_out_at is not None, has_email=bool(email),
                                by_email=True)
        exclusion = send_exclusion(account_status=status, is_key=True, block_reason=blocked)
        state, reason = coverage_state(exclusion, sent=bool(sent),
                                       generated=generated_at is not None)
        counted = state != "skipped"
        yield (account, name, title, label(role), email, yes_no(counted), label(state), reason,
               generated_at, sent_at, channels or None)


# --- Deals -----------------------------------------------------------------------------

DEAL_COLUMNS = """
    Account
    Segment
    Deal               | text  | 32
    External id        | text  | 14
    Product            | text  | 16
    Owner
    Opened on          | date  | 12
    Closed on          | date  | 12
    Outcome
    Amount             | money | 16
    Primary competitor | text  | 20
    Competitors        | text  | 30
    Primary reason     | text  | 30
"""


def closed_in_quarter(ctx: ExportContext) -> Any:
    q = ctx.quarter
    return sa.and_(Deal.outcome.in_(CLOSED_OUTCOMES), Deal.closed_on.between(q.start, q.end),
                   ctx.scope(Deal.account_id))


def deal_rows(ctx: ExportContext) -> Iterator[Sequence[Any]]:
    primary = aliased(Competitor)
    competitors = (
        select(DealCompetitor.deal_id.label("deal_id"),
               func.aggregate_strings(Competitor.name, "; ").label("names"))
        .join(Competitor, Competitor.id == DealCompetitor.competitor_id)
        .join(Deal, Deal.id == DealCompetitor.deal_id)
        .where(closed_in_quarter(ctx))
        .group_by(DealCompetitor.deal_id)
        .subquery()
    )
    statement = (
        select(Account.name, Account.segment, Deal.name, Deal.external_id, Deal.product,
               sa.func.coalesce(User.name, Deal.owner_name), Deal.opened_on, Deal.closed_on,
               Deal.outcome, Deal.amount,
               primary.name, competitors.c.names, DecisionFactor.category,
               DecisionFactor.name)
        .outerjoin(Account, Account.id == Deal.account_id)
        .outerjoin(User, User.id == Deal.owner_id)
        .outerjoin(primary, primary.id == Deal.primary_competitor_id)
        .outerjoin(competitors, competitors.c.deal_id == Deal.id)
        .outerjoin(DecisionFactor, DecisionFactor.id == Deal.rep_reason_id)
        .where(closed_in_quarter(ctx))
        .order_by(Deal.closed_on, Account.name, Deal.id)
    )
    for (account, segment, name, external_id, product, owner, opened_on, closed_on, outcome,
         amount, primary_name, names, category, factor) in ctx.stream(statement):
        reason = f"{category}: {factor}" if factor else None
        yield (account, segment, name, external_id, product, owner, opened_on, closed_on,
               label(outcome), amount, primary_name, names, reason)


# --- Reasons (interview factor ratings and quotes) -------------------------------------

REASON_COLUMNS = """
    Kind                | text | 8
    Interview completed | date | 12
    Account
    Deal                | text | 30
    Outcome
    Interviewee         | text | 22
    Interviewee title   | text | 22
    Category            | text | 16
    Factor              | text | 22
    Rating              | int  | 8
    Importance          | int  | 10
    Effect              | text | 12
    Quote               | text | 60
    Tags                | text | 20
"""


def _interviewee_columns() -> tuple[Any, Any]:
    """Name and title of the interviewee, blanked IN SQL for anonymized/blind interviews.

    Doing it in the query means the name never even reaches the export code.
    """
    hidden = WinLossInterview.anonymity.in_(HIDDEN_ANONYMITY)
    name = sa.case((hidden, sa.literal(ANONYMOUS)),
                   else_=func.coalesce(Stakeholder.name, WinLossInterview.contact_name))
    title = sa.case((hidden, sa.null()),
                    else_=func.coalesce(Stakeholder.title, WinLossInterview.contact_title))
    return name, title


def _quarter_interviews(ctx: ExportContext) -> Any:
    """Completed interviews of deals closed in the quarter (as win/loss analytics count them)."""
    return sa.and_(WinLossInterview.status == "completed", closed_in_quarter(ctx))


def reason_rows(ctx: ExportContext) -> Iterator[Sequence[Any]]:
    if not ctx.include_interviews:
        return
    name, title = _interviewee_columns()
    common = (WinLossInterview.completed_at, Account.name, Deal.name, Deal.outcome, name, title,
              DecisionFactor.category, DecisionFactor.name)
    ratings = (
        with_deal_and_interviewee(
            select(*common, FactorRating.rating, FactorRating.importance, FactorRating.effect)
            .join(WinLossInterview, WinLossInterview.id == FactorRating.interview_id))
        .join(DecisionFactor, DecisionFactor.id == FactorRating.factor_id)
        .where(_quarter_interviews(ctx))
        .order_by(Deal.closed_on, WinLossInterview.id, DecisionFactor.category,
                  DecisionFactor.name)
    )
    for completed_at, account, deal, outcome, who, what, category, factor, rating, \
            importance, effect in ctx.stream(ratings):
        yield ("Rating", _day(completed_at), account, deal, label(outcome), who, what,
               category, factor, rating, importance, label(effect), None, None)
    quotes = (
        with_deal_and_interviewee(
            select(*common, InterviewQuote.text, InterviewQuote.tags)
            .join(WinLossInterview, WinLossInterview.id == InterviewQuote.interview_id))
        .outerjoin(DecisionFactor, DecisionFactor.id == InterviewQuote.factor_id)
        .where(_quarter_interviews(ctx))
        .order_by(Deal.closed_on, WinLossInterview.id, InterviewQuote.id)
    )
    for completed_at, account, deal, outcome, who, what, category, factor, text, \
            tags in ctx.stream(quotes):
        yield ("Quote", _day(completed_at), account, deal, label(outcome), who, what,
               category, factor, None, None, None, text, tags)


# --- Loyalty pulses --------------------------------------------------------------------

LOYALTY_COLUMNS = """
    Account
    Stakeholder                      | text | 24
    Title                            | text | 22
    Key stakeholder                  | text | 10
    Taken on                         | date | 12
    Satisfaction (1-5)               | int  | 12
    Repurchase intent                | text | 16
    Recommend (0-10)                 | int  | 12
    NPS group                        | text | 12
    Satisfied but not loyal          | text | 12
    Positive emotional moment        | text | 12
    What made them feel looked after | text | 40
    Top value drivers                | text | 40
    Comment                          | text | 50
    Recorded                         | text | 10
"""


def loyalty_rows(ctx: ExportContext) -> Iterator[Sequence[Any]]:
    q = ctx.quarter
    statement = (
        select(Account.name, Stakeholder.name, Stakeholder.title, Stakeholder.is_key,
               LoyaltyPulse.taken_on, LoyaltyPulse.satisfaction, LoyaltyPulse.repurchase_intent,
               LoyaltyPulse.recommend, LoyaltyPulse.positive_emotion, LoyaltyPulse.emotion_text,
               LoyaltyPulse.driver_ranking, LoyaltyPulse.comment, LoyaltyPulse.method)
        .join(Stakeholder, Stakeholder.id == LoyaltyPulse.stakeholder_id)
        .join(Account, Account.id == LoyaltyPulse.account_id)
        .where(LoyaltyPulse.taken_on.between(q.start, q.end), ctx.scope(LoyaltyPulse.account_id))
        .order_by(Account.name, LoyaltyPulse.taken_on, LoyaltyPulse.id)
    )
    for (account, name, title, is_key, taken_on, satisfaction, intent, recommend, emotion,
         emotion_text, ranking, comment, method) in ctx.stream(statement):
        drivers = ", ".join(label(d) for d in ranking) if ranking else None
        yield (account, name, title, yes_no(is_key), taken_on, satisfaction, label(intent),
               recommend, label(nps_group(recommend)),
               yes_no(is_satisfied_not_loyal(satisfaction, intent)), yes_no(emotion),
               emotion_text, drivers, comment, label(method))


def listing_sheets(ctx: ExportContext) -> dict[str, Sheet]:
    """The listing sheets by name (the figure sheets come from figures.py)."""
    q = ctx.quarter.label
    return {
        "Value delivered": Sheet("Value delivered", columns(ctx, VALUE_COLUMNS), value_rows,
                                 f"No value was delivered in {q}."),
        "Commitments": Sheet("Commitments", columns(ctx, COMMITMENT_COLUMNS), commitment_rows,
                             f"No commitments are due in {q} or {ctx.quarter.next().label}."),
        "Stakeholder coverage": Sheet("Stakeholder coverage", columns(ctx, COVERAGE_COLUMNS),
                                      coverage_rows, "No key stakeholders."),
        "Deals": Sheet("Deals", columns(ctx, DEAL_COLUMNS), deal_rows, f"No deals closed in {q}."),
        "Reasons": Sheet("Reasons", columns(ctx, REASON_COLUMNS), reason_rows,
                         f"No completed interviews of deals closed in {q}."
                         if ctx.include_interviews else
                         "Interviews are shared with the win/loss program, leaders and admins."),
        "Loyalty": Sheet("Loyalty", columns(ctx, LOYALTY_COLUMNS), loyalty_rows,
                         f"No loyalty pulses were taken in {q}."),
    }
