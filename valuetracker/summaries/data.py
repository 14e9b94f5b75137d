"""Everything one PDF summary shows, gathered in a bounded number of queries.

`summary_data` is the single entry point; it returns a plain dataclass so the
templates (and later value.py's own helpers) never touch the session. The figures
follow docs/definitions.md: value delivered = sum of currency entries; confirmed share =
confirmed amount / total amount. Currency figures come from `value.value_summary`,
the definition the web pages use; every figure is a SQL aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ..models import (
    DESCRIBED,
    DRIVERS,
    Account,
    Deal,
    LoyaltyPulse,
    Stakeholder,
    User,
    ValueCommitment,
    ValueConfirmation,
    ValueEntry,
)
from ..quarters import Quarter
from ..value.metrics import ValueSummary, value_summary

ZERO = Decimal(0)
# Roles that buy with money: they see currency value and return first.
MONEY_ROLES = ("economic_buyer", "decision_maker")
# Drivers whose currency value speaks to a money-minded buyer.
MONEY_DRIVERS = ("cost_reduction", "revenue_growth")
# A summary stays a short read (two or three pages for the busiest account): the longest
# lists show their first rows and say how many more there are (every row and page also
# costs rendering time).
MAX_ENTRIES = 6
MAX_QUOTES = 3
MAX_COMMITMENTS = 8
# Units other than money, in the order the personal summary shows them.
OTHER_UNITS = ("hours", "count", "percent")


@dataclass
class DriverFigures:
    """One value driver's value for one unit, this quarter, year to date and all time."""

    driver: str
    unit: str
    quarter: Decimal = ZERO
    quarter_confirmed: Decimal = ZERO
    year: Decimal = ZERO
    all_time: Decimal = ZERO


@dataclass
class EntryRow:
    title: str
    description: str | None
    driver: str
    amount: Decimal
    unit: str
    delivered_on: date
    confirmed: bool


@dataclass
class QuoteRow:
    entry_title: str
    comment: str
    name: str | None
    title: str | None
    responded_at: datetime
    own: bool = False  # the reader's own words


@dataclass
class DescribedRow:
    """Value a customer told us about, in their words, not yet reviewed (no figure)."""

    words: str
    name: str | None
    title: str | None
    described_on: date
    own: bool = False  # the reader described it


@dataclass
class CommitmentRow:
    title: str
    driver: str
    expected_amount: Decimal | None
    unit: str
    due_on: date
    status: str
    overdue: bool = False  # still open after its due date, on the day the PDF is made


@dataclass
class StakeholderRow:
    id: int
    name: str
    title: str | None
    buying_role: str
    is_key: bool
    status: str  # active, opted_out, left


@dataclass
class DealRow:
    name: str
    amount: Decimal | None
    outcome: str
    closed_on: date | None


@dataclass
class SummaryData:
    """All a summary shows; plain values only (safe to pass to another process)."""

    account_name: str
    account_slug: str
    quarter: str
    quarter_start: date
    quarter_end: date
    next_quarter: str
    owner_name: str
    # Personal part (None for the internal review variant).
    stakeholder_name: str | None
    stakeholder_title: str | None
    buying_role: str | None
    lead: str  # "money" or "time": what this reader cares about first
    ranked_drivers: list[str]
    # Figures.
    value_quarter: Decimal = ZERO
    value_quarter_confirmed: Decimal = ZERO
    value_year: Decimal = ZERO
    value_all_time: Decimal = ZERO
    value_all_time_confirmed: Decimal = ZERO
    money_drivers_quarter: Decimal = ZERO  # cost reduction + revenue growth, currency
    hours_quarter: Decimal = ZERO
    hours_year: Decimal = ZERO
    hours_all_time: Decimal = ZERO
    drivers: list[DriverFigures] = field(default_factory=list)
    quarter_series: list[tuple[str, Decimal]] = field(default_factory=list)
    by_quarter: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    entries: list[EntryRow] = field(default_factory=list)
    entries_more: int = 0  # entries of the quarter not listed
    quotes: list[QuoteRow] = field(default_factory=list)
    described: list[DescribedRow] = field(default_factory=list)
    commitments: list[CommitmentRow] = field(default_factory=list)
    commitments_more: int = 0
    # Internal review variant only.
    stakeholders: list[StakeholderRow] = field(default_factory=list)
    deals: list[DealRow] = field(default_factory=list)

    @property
    def confirmed_share(self) -> Decimal | None:
        """Confirmed amount / total amount of this quarter's currency value."""
        if not self.value_quarter:
            return None
        return self.value_quarter_confirmed / self.value_quarter

    @property
    def confirmed_share_all_time(self) -> Decimal | None:
        if not self.value_all_time:
            return None
        return self.value_all_time_confirmed / self.value_all_time

    @property
    def confirmation_note(self) -> str | None:
        """What the quarter's confirmed share says, in words, or None when it says nothing.

        No value: nothing to say. Nothing confirmed: "awaiting your confirmation" (the
        internal review: "awaiting confirmation"), never "0% confirmed". A share that
        would round to 0% or 100% without being either says so ("under 1%", "over 99%").
        """
        share = self.confirmed_share
        if share is None:
            return None
        if share <= 0:
            return ("awaiting your confirmation" if self.stakeholder_name is not None
                    else "awaiting confirmation")
        if share >= 1:
            return "all confirmed"
        pct = share * 100
        if pct < Decimal("0.5"):
            return "under 1% confirmed"
        if pct >= Decimal("99.5"):
            return "over 99% confirmed"
        return f"{pct.quantize(Decimal(1), ROUND_HALF_UP)}% confirmed"

    def _reader_rank(self, driver: str) -> int:
        """The reader's own ranking of a driver; unranked drivers after the ranked ones."""
        try:
            return self.ranked_drivers.index(driver)
        except ValueError:
            return len(self.ranked_drivers)

    @property
    def money_drivers(self) -> list[DriverFigures]:
        """Currency figures per driver, the reader's own top-ranked drivers first."""
        money = [f for f in self.drivers if f.unit == "currency"]
        return sorted(money, key=lambda f: (self._reader_rank(f.driver), -f.quarter, f.driver))

    @property
    def other_outcomes(self) -> tuple[list[str], list[tuple[str, dict[str, DriverFigures]]]]:
        """Value this quarter in units other than money, as (units, rows).

        One row per driver that moved in hours, counts or percentages this quarter, in
        the reader's order, and one column per unit that moved at all, so the table
        stays a handful of rows however many units the account records.
        """
        moved = [f for f in self.drivers if f.unit != "currency" and f.quarter]
        units = [u for u in OTHER_UNITS if any(f.unit == u for f in moved)]
        by_driver: dict[str, dict[str, DriverFigures]] = {}
        for f in moved:
            by_driver.setdefault(f.driver, {})[f.unit] = f
        order = sorted(by_driver, key=lambda d: (self._reader_rank(d), d))
        return units, [(d, by_driver[d]) for d in order]


def _sum_when(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Decimal]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, ValueEntry.amount), else_=0)), 0)


def _currency_figures(summary: ValueSummary) -> list[DriverFigures]:
    """Currency figures per driver from the value module's summary (the web pages' figures)."""
    periods = summary.periods
    return [
        DriverFigures(driver, "currency", periods.quarter[driver],
                      summary.quarter_confirmed_by_driver.get(driver, ZERO),
                      periods.year_to_date[driver], periods.total[driver])
        for driver in DRIVERS
        if periods.total[driver] or periods.quarter[driver] or periods.year_to_date[driver]
    ]


def _other_unit_figures(session: Session, account_id: int, quarter: Quarter
                        ) -> list[DriverFigures]:
    """Hours, percent and count per driver and unit: one GROUP BY up to the quarter's end.

    The value module only defines currency figures ("value delivered"); the other units
    are shown in the PDF only, so they are summed here.
    """
    in_quarter = ValueEntry.delivered_on.between(quarter.start, quarter.end)
    rows = session.exec(
        select(
            ValueEntry.driver,
            ValueEntry.unit,
            _sum_when(in_quarter),
            _sum_when(sa.and_(in_quarter, ValueEntry.evidence_status == "confirmed")),
            _sum_when(ValueEntry.delivered_on >= quarter.year_start),
            sa.func.coalesce(sa.func.sum(ValueEntry.amount), 0),
        )
        .where(ValueEntry.account_id == account_id, ValueEntry.unit != "currency",
               ValueEntry.counted_condition(), ValueEntry.delivered_on <= quarter.end)
        .group_by(ValueEntry.driver, ValueEntry.unit)
    ).all()
    return [DriverFigures(driver, unit, Decimal(q), Decimal(qc), Decimal(year), Decimal(total))
            for driver, unit, q, qc, year, total in rows]


def _driver_figures(session: Session, account_id: int, quarter: Quarter,
                    summary: ValueSummary) -> list[DriverFigures]:
    """Every driver's figures in the drivers' order, then by unit (as before)."""
    figures = _currency_figures(summary) + _other_unit_figures(session, account_id, quarter)
    order = {d: i for i, d in enumerate(DRIVERS)}
    figures.sort(key=lambda f: (order.get(f.driver, 99), f.unit))
    return figures


def _words_conditions(stakeholder: Stakeholder | None) -> tuple[list[Any], Any]:
    """Whose words a summary shows, and whether they are the reader's own (a column that
    sorts them first).

    A stakeholder's summary shows only the words of colleagues we may contact (not left,
    not opted out, not erased: `Stakeholder.contactable_condition`), and none given
    without a name. The internal review shows anyone's who was not erased.
    """
    if stakeholder is None:
        return [Stakeholder.erased_at.is_(None)], sa.case((sa.false(), 1), else_=0)
    own = sa.case((ValueConfirmation.stakeholder_id == stakeholder.id, 1), else_=0)
    return [ValueConfirmation.stakeholder_id.is_not(None),
            Stakeholder.contactable_condition(by_email=False)], own


def _quotes(session: Session, account: Account, stakeholder: Stakeholder | None,
            quarter: Quarter) -> list[QuoteRow]:
    """The customer's own words about entries delivered in the fiscal year up to the
    quarter's end (docs/summaries.md), newest first, the reader's own first.

    A stakeholder's summary quotes plain confirmations (and the words of value they
    described, once the team reviewed it) of entries that are confirmed now: a
    correction ("adjusted") or a dispute argues with our figure and is not quoted to the
    customer. The internal review quotes corrections too. The same words are quoted once.
    """
    people, own = _words_conditions(stakeholder)
    if stakeholder is not None:
        kinds = [ValueConfirmation.response.in_(("confirmed", DESCRIBED)),
                 ValueEntry.evidence_status == "confirmed"]
    else:
        kinds = [ValueConfirmation.response.in_(("confirmed", "adjusted", DESCRIBED)),
                 ValueEntry.counted_condition()]
    rows = session.exec(
        select(ValueEntry.title, ValueConfirmation.comment, Stakeholder.name, Stakeholder.title,
               ValueConfirmation.responded_at, own)
        .join(ValueEntry, ValueEntry.id == ValueConfirmation.entry_id)
        .join(Stakeholder, Stakeholder.id == ValueConfirmation.stakeholder_id, isouter=True)
        .where(ValueEntry.account_id == account.id,
               ValueEntry.delivered_on.between(quarter.year_start, quarter.end),
               ValueConfirmation.comment.is_not(None), ValueConfirmation.comment != "",
               *kinds, *people)
        .order_by(own.desc(), ValueConfirmation.responded_at.desc(),
                  ValueConfirmation.id.desc())
        .limit(MAX_QUOTES * 4)  # room to skip repeats
    ).all()
    return _unrepeated([QuoteRow(t, c, n, ti, at, own=bool(o)) for t, c, n, ti, at, o in rows])


def _unrepeated(quotes: list[QuoteRow]) -> list[QuoteRow]:
    """The first MAX_QUOTES quotes, each words once: the same sentence said about two
    entries (a stock "Confirmed, thanks") reads as a copy, not as a second voice."""
    seen: set[str] = set()
    kept = []
    for quote in quotes:
        words = " ".join(quote.comment.split()).casefold()
        if words not in seen:
            seen.add(words)
            kept.append(quote)
    return kept[:MAX_QUOTES]


def _described(session: Session, account: Account, stakeholder: Stakeholder | None,
               quarter: Quarter, today: date) -> list[DescribedRow]:
    """Value the customer told us about that the team has not reviewed yet: their words,
    never a figure. Described from the start of the quarter's fiscal year up to the day
    the PDF is made (customers answer after the quarter, when its summary goes out);
    the same people as the quotes, the reader's own first, newest first."""
    people, own = _words_conditions(stakeholder)
    rows = session.exec(
        select(ValueConfirmation.comment, Stakeholder.name, Stakeholder.title,
               ValueEntry.delivered_on, own)
        .join(ValueEntry, ValueEntry.id == ValueConfirmation.entry_id)
        .join(Stakeholder, Stakeholder.id == ValueConfirmation.stakeholder_id, isouter=True)
        .where(ValueEntry.account_id == account.id, ValueEntry.evidence_status == DESCRIBED,
               ValueConfirmation.response == DESCRIBED,
               ValueEntry.delivered_on.between(quarter.year_start, max(today, quarter.end)),
               ValueConfirmation.comment.is_not(None), ValueConfirmation.comment != "",
               *people)
        .order_by(own.desc(), ValueEntry.delivered_on.desc(), ValueConfirmation.id.desc())
        .limit(MAX_QUOTES)
    ).all()
    return [DescribedRow(w, n, t, on, own=bool(o)) for w, n, t, on, o in rows]


def summary_data(
    session: Session,
    account: Account,
    stakeholder: Stakeholder | None,
    quarter: Quarter,
    *,
    today: date | None = None,
) -> SummaryData:
    """The data of one summary: personal when `stakeholder` is given, else the internal review.

    About eight queries whatever the size of the account (lists are capped). `today` (the
    day the PDF is made) marks open commitments already past their due date.
    """
    today = today or date.today()
    owner_name = session.exec(
        select(User.name).where(User.id == account.owner_id)
    ).first() if account.owner_id else None

    ranked: list[str] = []
    if stakeholder is not None:
        ranking = session.exec(
            select(LoyaltyPulse.driver_ranking)
            .where(LoyaltyPulse.stakeholder_id == stakeholder.id)
            .order_by(LoyaltyPulse.taken_on.desc(), LoyaltyPulse.id.desc())
            .limit(1)
        ).first()
        ranked = [d for d in (ranking or []) if d in DRIVERS]

    role = stakeholder.buying_role if stakeholder is not None else None
    data = SummaryData(
        account_name=account.name,
        account_slug=account.slug,
        quarter=quarter.label,
        quarter_start=quarter.start,
        quarter_end=quarter.end,
        next_quarter=quarter.next().label,
        owner_name=owner_name or "your account team",
        stakeholder_name=stakeholder.name if stakeholder is not None else None,
        stakeholder_title=stakeholder.title if stakeholder is not None else None,
        buying_role=role,
        lead="money" if (role in MONEY_ROLES or stakeholder is None) else "time",
        ranked_drivers=ranked,
    )

    # Currency value comes from the value module, so the PDF shows exactly the figures
    # of the account's value page; "all time" stops at the quarter's end.
    summary = value_summary(session, quarter=quarter, account_ids=[account.id],
                            quarters=4, through=quarter.end)
    data.value_quarter = summary.periods.quarter_total
    data.value_quarter_confirmed = summary.confirmed_quarter.confirmed
    data.value_year = summary.periods.year_to_date_total
    data.value_all_time = summary.periods.total_total
    data.value_all_time_confirmed = summary.confirmed.confirmed
    data.money_drivers_quarter = sum((summary.periods.quarter[d] for d in MONEY_DRIVERS), ZERO)
    # Currency value per driver per quarter, the last four quarters (the web page's chart).
    data.by_quarter = summary.by_quarter
    data.quarter_series = [(label, sum(values.values(), ZERO))
                           for label, values in summary.by_quarter.items()]

    data.drivers = _driver_figures(session, account.id, quarter, summary)
    for fig in data.drivers:
        if fig.unit == "hours":
            data.hours_quarter += fig.quarter
            data.hours_year += fig.year
            data.hours_all_time += fig.all_time
    if data.lead == "time" and not data.hours_all_time:
        # No time saved recorded for this account yet: "0 h" is no headline; lead with value.
        data.lead = "money"

    # Confirmed entries first (the customer's own evidence), then the newest; the
    # window count says how many the quarter holds in all.
    confirmed_first = sa.case((ValueEntry.evidence_status == "confirmed", 0), else_=1)
    entries = session.exec(
        select(ValueEntry.title, ValueEntry.description, ValueEntry.driver, ValueEntry.amount,
               ValueEntry.unit, ValueEntry.delivered_on, ValueEntry.evidence_status,
               sa.func.count().over())
        .where(ValueEntry.account_id == account.id, ValueEntry.counted_condition(),
               ValueEntry.delivered_on.between(quarter.start, quarter.end))
        .order_by(confirmed_first, ValueEntry.delivered_on.desc(), ValueEntry.id.desc())
        .limit(MAX_ENTRIES)
    ).all()
    data.entries = [EntryRow(t, d, dr, a, u, on, ev == "confirmed")
                    for t, d, dr, a, u, on, ev, _total in entries]
    data.entries_more = int(entries[0][-1]) - len(entries) if entries else 0

    data.quotes = _quotes(session, account, stakeholder, quarter)
    data.described = _described(session, account, stakeholder, quarter, today)

    commitments = session.exec(
        select(ValueCommitment.title, ValueCommitment.driver, ValueCommitment.expected_amount,
               ValueCommitment.unit, ValueCommitment.due_on, ValueCommitment.status,
               ValueCommitment.overdue_condition(today), sa.func.count().over())
        .where(ValueCommitment.account_id == account.id, ValueCommitment.open_condition(),
               ValueCommitment.due_on <= quarter.next().end)
        .order_by(ValueCommitment.due_on, ValueCommitment.id)
        .limit(MAX_COMMITMENTS)
    ).all()
    data.commitments = [CommitmentRow(*row[:-2], overdue=bool(row[-2])) for row in commitments]
    data.commitments_more = int(commitments[0][-1]) - len(commitments) if commitments else 0

    if stakeholder is None:
        people = session.exec(
            select(Stakeholder.id, Stakeholder.name, Stakeholder.title, Stakeholder.buying_role,
                   Stakeholder.is_key, Stakeholder.opted_out_at, Stakeholder.left_company_at)
            .where(Stakeholder.account_id == account.id, Stakeholder.erased_at.is_(None))
            .order_by(Stakeholder.is_key.desc(), Stakeholder.name)
        ).all()
        data.stakeholders = [
            StakeholderRow(i, n, t, r, k, "left" if left else "opted_out" if opt else "active")
            for i, n, t, r, k, opt, left in people
        ]
        deals = session.exec(
            select(Deal.name, Deal.amount, Deal.outcome, Deal.closed_on)
            .where(Deal.account_id == account.id,
                   sa.or_(Deal.outcome == "open",
                          Deal.closed_on.between(quarter.year_start, quarter.end)))
            .order_by(Deal.closed_on.desc().nulls_first(), Deal.name)
            .limit(50)
        ).all()
        data.deals = [DealRow(*row) for row in deals]
    return data
