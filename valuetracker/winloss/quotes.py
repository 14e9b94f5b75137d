"""The quote library: quotes of completed interviews, filtered, with anonymity applied."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ..listing import ID, TEXT, Filter, ListSpec, Sort
from ..models import (
    Account,
    Deal,
    DecisionFactor,
    InterviewQuote,
    Stakeholder,
    WinLossInterview,
)
from ..pagination import Page, paginate_keys
from ..quarters import Quarter
from .deals import against_competitor, closed_in_period
from .interviews import interviewee_display, with_deal_and_interviewee

# The quote library's sorts and filters (listing.py reads them from the URL).
QUOTE_LIST = ListSpec(
    endpoint="winloss.quotes", title="Quotes",
    sorts={
        "completed": Sort("Interview date", (WinLossInterview.completed_at,)),
        "account": Sort("Account", (sa.func.lower(Account.name),), nulls_last=True),
        "outcome": Sort("Outcome", (Deal.outcome,)),
        "deal": Sort("Deal", (sa.func.lower(Deal.name),)),
    },
    default_sort="-completed",
    filters=(Filter("q", "Search", TEXT), Filter("factor", "Factor", ID),
             Filter("tag", "Tag", TEXT), Filter("outcome", "Outcome"),
             Filter("competitor", "Competitor", ID)),
    tie_breaks=(WinLossInterview.completed_at.desc(), InterviewQuote.id.desc()),
)


def _quote_conditions(*, factor_id: int | None = None, tag: str | None = None,
                      outcome: str | None = None, competitor_id: int | None = None,
                      q: str | None = None, since: date | None = None,
                      until: date | None = None, account_id: int | None = None) -> list[Any]:
    conditions: list[Any] = [WinLossInterview.status == "completed"]
    if since is not None or until is not None:
        conditions += closed_in_period(since, until)
    if factor_id:
        conditions.append(InterviewQuote.factor_id == factor_id)
    if tag and tag.strip():
        wrapped = sa.func.lower(sa.literal(";") + sa.func.coalesce(InterviewQuote.tags, "")
                                + sa.literal(";"))
        conditions.append(wrapped.like(f"%;{tag.strip().lower()};%"))
    if outcome:
        conditions.append(Deal.outcome == outcome)
    if competitor_id:
        conditions.append(against_competitor(competitor_id))
    if q and q.strip():
        conditions.append(sa.func.lower(InterviewQuote.text).like(f"%{q.strip().lower()}%"))
    if account_id:
        conditions.append(Deal.account_id == account_id)
    return conditions


def _quote_keys(conditions: list[Any]) -> Any:
    return (select(InterviewQuote.id)
            .join(WinLossInterview, WinLossInterview.id == InterviewQuote.interview_id)
            .join(Deal, Deal.id == WinLossInterview.deal_id)
            .join(Account, Account.id == Deal.account_id, isouter=True)
            .where(*conditions))


def _quote_select() -> Any:
    return (with_deal_and_interviewee(
        select(InterviewQuote, WinLossInterview, Deal, Account.name, Stakeholder,
               DecisionFactor.name)
        .select_from(InterviewQuote)
        .join(WinLossInterview, WinLossInterview.id == InterviewQuote.interview_id))
        .join(DecisionFactor, DecisionFactor.id == InterviewQuote.factor_id, isouter=True))


def _quote_rows(result_rows: Any) -> list[dict[str, Any]]:
    """The library's rows; `interviewee` is already anonymized where it must be."""
    return [
        {"quote": quote, "interview": interview, "deal": deal, "account": account,
         "factor": factor, "tags": [t for t in (quote.tags or "").split(";") if t],
         "interviewee": interviewee_display(interview, stakeholder)}
        for quote, interview, deal, account, stakeholder, factor in result_rows
    ]


def list_quotes(session: Session, *, sort: str = QUOTE_LIST.default_sort, page: int = 1,
                size: int = 50, **by: Any) -> Page:
    """The quote library: quotes of completed interviews, newest first (or by `sort`, a
    key `QUOTE_LIST` accepted), filtered by `by` (`_quote_conditions`).

    Each item is a dict; `interviewee` is already anonymized where it must be.
    """
    order = QUOTE_LIST.order_by(sort)
    keys = _quote_keys(_quote_conditions(**by)).order_by(*order)
    result = paginate_keys(session, keys, lambda page_ids: (
        _quote_select().where(InterviewQuote.id.in_(page_ids)).order_by(*order)
    ), number=page, size=size)
    result.items = _quote_rows(result.items)
    return result


def all_quotes(session: Session, *, sort: str = QUOTE_LIST.default_sort,
               **by: Any) -> list[dict[str, Any]]:
    """Every quote of the library as filtered (not one page), as `list_quotes` rows: the
    same anonymity."""
    keys = _quote_keys(_quote_conditions(**by))
    return _quote_rows(session.exec(
        _quote_select().where(InterviewQuote.id.in_(keys))
        .order_by(*QUOTE_LIST.order_by(sort))).all())


def quotes_for_quarter(session: Session, quarter: Quarter, *, limit: int = 500
                       ) -> list[dict[str, Any]]:
    """Quotes of deals closed in a quarter, as plain records with anonymity applied."""
    page = list_quotes(session, since=quarter.start, until=quarter.end, size=limit)
    return [
        {"deal": item["deal"].name, "account": item["account"] or "",
         "outcome": item["deal"].outcome, "factor": item["factor"] or "",
         "tags": ";".join(item["tags"]), "quote": item["quote"].text,
         "interviewee": item["interviewee"]}
        for item in page.items
    ]
