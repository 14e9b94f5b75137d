"""The figures at the top of a summary (its KPI cards), as the reader should see them.

Each card says something the others do not: a figure equal to one already shown (a new
account's quarter, year to date and "since we started" are often the same) is not
repeated on a card of its own; the card that shows it says what else it is ("Also the
year to date and the total since we started."). A card of zero that is not the headline
says nothing and is left out. See docs/summaries.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..templating import amount_with_unit, percent
from ..wording import counted, listed
from .data import SummaryData


@dataclass
class KpiCard:
    figure: str  # as printed: "$100,000", "35 h", "67%"
    caption: str  # what the figure is
    same: str  # what it is, as the card that shows the same figure says it ("the year to date")
    note: str | None = None  # what the confirmed share says ("awaiting your confirmation")
    lead: bool = False
    zero: bool = False  # a figure of nothing (left out unless it is the headline)
    also: list[str] = field(default_factory=list)  # cards merged into this one

    @property
    def also_text(self) -> str | None:
        """"Also the year to date and the total since we started.", or None."""
        return f"Also {listed(self.also)}." if self.also else None


def _card(value: Decimal, unit: str, caption: str, same: str, **kw: Any) -> KpiCard:
    return KpiCard(amount_with_unit(value, unit), caption, same, zero=not value, **kw)


def kpi_cards(data: SummaryData, coverage: Any = None) -> list[KpiCard]:
    """The cards of a summary, headline first, no figure twice (`coverage`: the internal
    review's summary coverage of the account)."""
    quarter = data.quarter
    value = _card(data.value_quarter, "currency", f"Value delivered in {quarter}",
                  f"the value delivered in {quarter}", note=data.confirmation_note)
    year = _card(data.value_year, "currency", "Year to date", "the year to date")
    since = _card(data.value_all_time, "currency", "Since we started",
                  "the total since we started")
    if data.stakeholder_name is None:
        covered = KpiCard(
            percent(coverage.rate) if coverage is not None and coverage.rate is not None
            else "—",
            "Summary coverage" + (f" ({coverage.sent} of "
                                  f"{counted(coverage.eligible, 'key stakeholder')})"
                                  if coverage is not None else ""),
            "the summary coverage")
        hours = _card(data.hours_quarter, "hours", f"Hours saved in {quarter}",
                      f"the hours saved in {quarter}")
        value.lead = True
        cards = [value, year, hours, covered]
    elif data.lead == "money":
        value.lead = True
        money = _card(data.money_drivers_quarter, "currency",
                      "Cost reduction and revenue growth",
                      "the cost reduction and revenue growth")
        cards = [value, money, year, since]
    else:
        time = _card(data.hours_quarter, "hours", f"Time saved in {quarter}",
                     f"the time saved in {quarter}", lead=True)
        time_year = _card(data.hours_year, "hours", "Time saved this year",
                          "the time saved this year")
        cards = [time, time_year, value, since]
    return merged(cards)


def merged(cards: list[KpiCard]) -> list[KpiCard]:
    """`cards` without repeats: a card whose printed figure an earlier card shows is folded
    into that card's `also`; a zero card other than the headline is dropped."""
    kept: list[KpiCard] = []
    for card in cards:
        if card.zero and not card.lead:
            continue
        earlier = next((k for k in kept if k.figure == card.figure), None)
        if earlier is not None:
            earlier.also.append(card.same)
        else:
            kept.append(card)
    return kept
