"""The editorial rules of the PDF summaries (docs/summaries.md), read back from real PDFs.

Whose words a stakeholder's summary quotes (current colleagues' plain confirmations, the
reader's own first, never a dispute or a correction), the confirmed share only when it
says something, KPI cards that never repeat a figure, chart axes on 1-2-5 steps, value
the customer described shown in their words and never as "$0", and counts written by
the wording filters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session

from valuetracker.charts import axis_ticks, stacked_bar_chart, tick_labels
from valuetracker.quarters import parse_quarter
from valuetracker.summaries import render
from valuetracker.summaries.data import SummaryData
from valuetracker.summaries.generate import build_pdf, summary_html
from valuetracker.summaries.kpis import KpiCard, merged
from valuetracker.value.described import describe_value

from .conftest import pdf_text
from .factories import (
    make_account,
    make_commitment,
    make_confirmation,
    make_entry,
    make_stakeholder,
)
from .factories.scenarios import seed_account_value

Q3 = parse_quarter("2026-Q3")
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "reports"


@pytest.fixture(autouse=True)
def _stop_pool() -> Iterator[None]:
    yield
    render.shutdown_pool()


def _at(day: int) -> datetime:
    return datetime(2026, 9, day, 12, 0, tzinfo=UTC)


def _pdf(app: Flask, session: Session, account, stakeholder) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        _reader, text = pdf_text(build_pdf(session, account, stakeholder, Q3))
    return text


def _kpi_block(html: str) -> str:
    return html.split('<div class="kpis"', 1)[1].split("<h2>", 1)[0]


# --------------------------------------------------------------------------- whose words


def test_a_stakeholders_summary_quotes_current_colleagues_confirmations_own_words_first(
        app: Flask, session: Session, cast: object) -> None:
    account, carol = cast.account1, cast.stakeholder1  # type: ignore[attr-defined]
    kim = make_stakeholder(session, account, "Kim Current", title="Head of Finance")
    gone = make_stakeholder(session, account, "Greta Gone",
                            left_company_at=datetime(2026, 9, 25, tzinfo=UTC))
    opted = make_stakeholder(session, account, "Otto Optout",
                             opted_out_at=datetime(2026, 9, 26, tzinfo=UTC))
    erased = make_stakeholder(session, account, "Erased stakeholder #99",
                              erased_at=datetime(2026, 9, 27, tzinfo=UTC))
    confirmed = make_entry(session, account, "7500", title="Invoice matching",
                           evidence_status="confirmed", delivered_on=date(2026, 8, 1))
    corrected = make_entry(session, account, "4000", title="Licence clean-up",
                           evidence_status="confirmed", delivered_on=date(2026, 8, 2))
    disputed = make_entry(session, account, "3000", title="Route planning",
                          evidence_status="disputed", delivered_on=date(2026, 8, 3))
    make_confirmation(session, confirmed, carol, "Carol: month-end is two days shorter.",
                      responded_at=_at(1))
    make_confirmation(session, confirmed, kim, "Kim: our auditors noticed.", responded_at=_at(20))
    make_confirmation(session, confirmed, gone, "Greta: it was my project.", responded_at=_at(21))
    make_confirmation(session, confirmed, opted, "Otto: fine by me.", responded_at=_at(22))
    make_confirmation(session, confirmed, erased, "Erased: a private remark.",
                      responded_at=_at(23))
    make_confirmation(session, corrected, kim, "Kim: I would put the figure lower.",
                      response="adjusted", adjusted_amount=Decimal("4000"), responded_at=_at(24))
    make_confirmation(session, disputed, kim, "Kim: we never saw this.", response="disputed",
                      responded_at=_at(25))
    session.commit()

    text = _pdf(app, session, account, carol)
    words = text.split("In your own words", 1)[1].split("Value over the last", 1)[0]
    assert "Carol: month-end is two days shorter." in words
    assert "Kim: our auditors noticed." in words and "Kim Current, Head of Finance" in words
    # The reader's own words come first, though Kim's are newer.
    assert words.index("Carol: month-end") < words.index("Kim: our auditors")
    for not_quoted in ("Greta", "Otto", "Erased", "figure lower", "never saw this"):
        assert not_quoted not in text, not_quoted

    # The internal review is the team's: it keeps the correction (and never the erased).
    internal = _pdf(app, session, account, None)
    assert "Kim: I would put the figure lower." in internal
    assert "Erased: a private remark." not in internal


def test_the_same_words_are_quoted_once(app: Flask, session: Session, cast: object) -> None:
    account, carol = cast.account1, cast.stakeholder1  # type: ignore[attr-defined]
    for n in range(3):
        entry = make_entry(session, account, "1000", title=f"Entry {n}",
                           evidence_status="confirmed", delivered_on=date(2026, 8, 1 + n))
        make_confirmation(session, entry, carol, "Confirmed, thanks.", responded_at=_at(1 + n))
    session.commit()
    text = _pdf(app, session, account, carol)
    assert text.count("Confirmed, thanks.") == 1


# --------------------------------------------------------------------------- shares


def test_nothing_confirmed_yet_awaits_confirmation_instead_of_zero_percent(
        app: Flask, session: Session, cast: object) -> None:
    account, carol = cast.account1, cast.stakeholder1  # type: ignore[attr-defined]
    make_entry(session, account, "52000", title="Faster close", delivered_on=date(2026, 8, 15))
    session.commit()
    text = _pdf(app, session, account, carol)
    assert "awaiting your confirmation" in text
    assert "0% confirmed" not in text
    internal = _pdf(app, session, account, None)
    assert "awaiting confirmation" in internal and "0% confirmed" not in internal


@pytest.mark.parametrize(("confirmed", "note"), [
    ("0", "awaiting your confirmation"), ("3", "under 1% confirmed"),
    ("600", "60% confirmed"), ("996", "over 99% confirmed"), ("1000", "all confirmed")])
def test_the_confirmed_share_in_words(confirmed: str, note: str) -> None:
    data = SummaryData("Acme", "acme", "2026-Q3", Q3.start, Q3.end, "2026-Q4", "Alice",
                       "Carol", None, "economic_buyer", "money", [],
                       value_quarter=Decimal(1000), value_quarter_confirmed=Decimal(confirmed))
    assert data.confirmation_note == note
    assert SummaryData("Acme", "acme", "2026-Q3", Q3.start, Q3.end, "2026-Q4", "Alice",
                       "Carol", None, None, "money", []).confirmation_note is None


# --------------------------------------------------------------------------- KPI cards


def test_a_new_account_with_one_entry_shows_its_figure_on_one_card(
        app: Flask, session: Session, cast: object) -> None:
    newco = make_account(session, "Newco Partners", owner=cast.am1)  # type: ignore[attr-defined]
    buyer = make_stakeholder(session, newco, "Nadia New", buying_role="economic_buyer",
                             is_key=True)
    make_entry(session, newco, "100000", title="Warehouse consolidation",
               driver="cost_reduction", delivered_on=date(2026, 8, 15))
    session.commit()
    with app.app_context():
        html, _data = summary_html(session, newco, buyer, Q3)
    kpis = _kpi_block(html)
    assert kpis.count('class="figure"') == 1 and kpis.count("$100,000") == 1
    text = _pdf(app, session, newco, buyer)
    assert ("Also the cost reduction and revenue growth, the year to date and the total "
            "since we started.") in text
    head = text.split("What matters most", 1)[0].split("Value by driver", 1)[0]
    assert head.count("$100,000") == 1


def test_kpi_cards_merge_equal_figures_and_drop_empty_ones() -> None:
    def card(figure: str, same: str, **kw: object) -> KpiCard:
        return KpiCard(figure, same.capitalize(), same, **kw)  # type: ignore[arg-type]

    cards = merged([card("$5", "the quarter", lead=True), card("$0", "money", zero=True),
                    card("$9", "the year"), card("$9", "the total")])
    assert [(c.figure, c.also_text) for c in cards] == [
        ("$5", None), ("$9", "Also the total.")]
    # The headline stays even at zero; nothing else repeats it.
    only = merged([card("$0", "the quarter", lead=True, zero=True),
                   card("$0", "the year", zero=True)])
    assert [(c.figure, c.also) for c in only] == [("$0", [])]


# --------------------------------------------------------------------------- chart axes


@pytest.mark.parametrize(("peak", "labels"), [
    (564_480, ["0", "200k", "400k", "600k"]),
    (12_500, ["0", "5k", "10k", "15k"]),
    (1_500_000, ["0", "0.5M", "1M", "1.5M"]),
    (7, ["0", "2", "4", "6", "8"]),
    (0.3, ["0", "0.1", "0.2", "0.3"]),
])
def test_axis_ticks_fall_on_round_numbers(peak: float, labels: list[str]) -> None:
    assert tick_labels(axis_ticks(peak)) == labels


def test_every_axis_steps_by_one_two_or_five_and_covers_its_peak() -> None:
    for peak in [1, 3, 9.5, 11, 99, 141_120, 282_240, 423_360, 564_480, 654_000, 999_999,
                 4_453_920, 12_345_678]:
        ticks = axis_ticks(peak)
        step = ticks[1] - ticks[0]
        mantissa = step / Decimal(10) ** step.adjusted()
        assert mantissa in (1, 2, 5), (peak, step)
        assert ticks[0] == 0 and ticks[-1] >= Decimal(str(peak)) > ticks[-2]
        assert 3 <= len(ticks) <= 6
        assert all(b - a == step for a, b in zip(ticks, ticks[1:], strict=False))


def test_the_summary_chart_labels_its_axis_on_round_numbers(
        app: Flask, session: Session, cast: object) -> None:
    account, carol = cast.account1, cast.stakeholder1  # type: ignore[attr-defined]
    seed_account_value(session, account, carol)  # 12,500 in 2026-Q3, 2,000 in 2025-Q4
    session.commit()
    text = _pdf(app, session, account, carol)
    # The chart's text (an SVG image) is read out as its ticks, then its quarters.
    ticks = re.search(r" ((?:\d[\d.,]*[kM]? )+)2025-Q4 2026-Q1 2026-Q2 2026-Q3", text)
    assert ticks is not None and ticks.group(1).split() == ["0", "5k", "10k", "15k"]
    svg = str(stacked_bar_chart(["Q1", "Q2"], [("A", [141_120, 423_360])], title="t"))
    assert ">500k<" in svg and ">141k<" not in svg and ">423k<" not in svg


# --------------------------------------------------------------------------- described value


def test_value_the_customer_described_shows_in_their_words_never_as_zero(
        app: Flask, session: Session, cast: object) -> None:
    account, carol = cast.account1, cast.stakeholder1  # type: ignore[attr-defined]
    opted = make_stakeholder(session, account, "Otto Optout",
                             opted_out_at=datetime(2026, 9, 26, tzinfo=UTC))
    make_entry(session, account, "4000", title="Invoice matching", delivered_on=date(2026, 8, 1))
    describe_value(session, account, "You found a double billing before our audit did.",
                   stakeholder_id=carol.id, today=date(2026, 9, 20))
    describe_value(session, account, "Otto's private view.", stakeholder_id=opted.id,
                   today=date(2026, 9, 21))
    session.commit()
    text = _pdf(app, session, account, carol)
    words = text.split("In your own words", 1)[1].split("Value over the last", 1)[0]
    assert "Value you told us about" in words
    assert "You found a double billing before our audit did." in words
    assert "Carol Buyer — 20 September 2026" in words
    assert "Otto" not in text
    delivered = text.split("What we delivered in 2026-Q3", 1)[1].split("In your own words")[0]
    assert "double billing" not in delivered and "$0" not in delivered
    assert delivered.count("Our estimate") == 1  # the one claimed entry, not their words
    assert "$4,000 Value delivered" in text and "Strategic $0" not in text

    internal = _pdf(app, session, account, None)
    assert "What the customer said" in internal
    assert "Value the customer described, waiting for review" in internal
    assert "You found a double billing before our audit did." in internal


# --------------------------------------------------------------------------- wording


def test_pdf_layouts_write_counts_with_the_wording_filters() -> None:
    """No layout makes its own plural ("x if n == 1 else xs") or possessive ("'s")."""
    for path in TEMPLATES.glob("*.html"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"==\s*1\s+else", source), path.name
        assert not re.search(r"\}\}'s\b", source), path.name


def test_counts_in_the_summary_agree_with_their_nouns(
        app: Flask, session: Session, cast: object) -> None:
    account, carol = cast.account1, cast.stakeholder1  # type: ignore[attr-defined]
    for n in range(9):  # one more than a summary lists
        make_commitment(session, account, title=f"Commitment {n}", due_on=date(2026, 10, 1 + n))
    session.commit()
    with app.app_context():
        html, _data = summary_html(session, account, carol, Q3)
        internal, _data = summary_html(session, account, None, Q3)
    assert "… and 1 more open commitment due by the end of 2026-Q4." in html
    assert "Summary coverage (0 of 1 key stakeholder)" in internal
