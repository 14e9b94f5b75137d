"""The value entries and commitments lists across accounts (`/value`, `/commitments`):
scoped to the user's accounts, sortable, filterable with notes for what they ignore,
CSV of every matching row (formula-safe), and holding exactly the rows the value
figures count."""

from __future__ import annotations

import csv
import html
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from valuetracker.value.metrics import confirmed_share, on_time_rate, value_delivered

from .factories import make_commitment, make_entry


def _csv(client: Any, url: str) -> list[dict[str, str]]:
    response = client.get(url + ("&" if "?" in url else "?") + "format=csv")
    assert response.status_code == 200, url
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_entries_list_filters_sorts_and_downloads(cast: Any, session: Any,
                                                   login_as: Any) -> None:
    a1 = cast.account1
    make_entry(session, a1, "500", title="Small saving", delivered_on=date(2026, 2, 1))
    make_entry(session, a1, "9000", title="=HYPERLINK(1)", delivered_on=date(2026, 5, 1),
               evidence_status="confirmed")
    make_entry(session, a1, "12", title="Hours back", unit="hours", driver="productivity",
               delivered_on=date(2026, 5, 2), evidence_status="disputed")
    make_entry(session, cast.account2, "700", title="Other team's value")
    session.commit()
    client = login_as(cast.am1)

    rows = _csv(client, "/value?sort=-amount&unit=currency")
    assert [r["Title"] for r in rows] == ["'=HYPERLINK(1)", "Small saving"]
    assert [r["Amount"] for r in rows] == ["9000.00", "500.00"]
    assert [r["Title"] for r in _csv(client, "/value?status=disputed")] == ["Hours back"]
    assert [r["Title"] for r in _csv(
        client, "/value?delivered_from=2026-04-01&delivered_to=2026-05-01")] == ["'=HYPERLINK(1)"]
    page = client.get("/value?driver=luck&sort=margin&colour=red")
    text = html.unescape(page.get_data(as_text=True))
    assert "“luck” isn't a value of the driver filter; ignored." in text
    assert "Sorting by “margin” isn't available" in text
    assert "There is no filter “colour” on this list; ignored." in text
    assert "Other team" not in text and "Small saving" in text
    # The outsider sees none of account1's entries, even asking for account1.
    assert _csv(login_as(cast.am2), f"/value?account={a1.id}") == []


def test_lists_hold_the_rows_the_value_figures_count(cast: Any, session: Any,
                                                     login_as: Any) -> None:
    a1 = cast.account1
    today = date.today()
    for amount, status in (("100", "confirmed"), ("250", "claimed"), ("40", "disputed")):
        make_entry(session, a1, amount, evidence_status=status, delivered_on=today)
    make_entry(session, a1, "3", unit="percent", delivered_on=today)
    make_commitment(session, a1, due_on=today - timedelta(days=30), status="delivered",
                    delivered_on=today - timedelta(days=40))  # on time
    make_commitment(session, a1, due_on=today - timedelta(days=20), status="delivered",
                    delivered_on=today - timedelta(days=2))  # late
    make_commitment(session, a1, due_on=today - timedelta(days=10), status="in_progress")
    make_commitment(session, a1, due_on=today - timedelta(days=5), status="dropped")
    make_commitment(session, a1, due_on=today + timedelta(days=30))  # not due yet
    session.commit()
    client = login_as(cast.am1)
    ids = [a1.id]

    entries = _csv(client, f"/value?account={a1.id}&unit=currency")
    assert sum(Decimal(r["Amount"]) for r in entries) == value_delivered(session,
                                                                         account_ids=ids)
    share = confirmed_share(session, account_ids=ids)
    confirmed = _csv(client, f"/value?account={a1.id}&unit=currency&status=confirmed")
    assert sum(Decimal(r["Amount"]) for r in confirmed) == share.confirmed == Decimal("100")

    rate = on_time_rate(session, account_ids=ids)
    assert (rate.on_time, rate.due) == (1, 3)
    assert len(_csv(client, f"/commitments?account={a1.id}&due=yes")) == rate.due
    assert len(_csv(client, f"/commitments?account={a1.id}&due=yes&on_time=yes")) == 1
    assert len(_csv(client, f"/commitments?account={a1.id}&overdue=yes")) == 1
    assert [r["Status"] for r in _csv(client, "/commitments?sort=-due")][0] == "planned"


def test_pulses_list_holds_the_drifts_rankings(cast: Any, session: Any,
                                               login_as: Any) -> None:
    """`/pulses?ranked=yes&taken_from=…&taken_to=…&segment=…`: every pulse with a driver
    ranking taken in the quarter, answers twice listed twice, an erased person's unnamed;
    scoped, sorted, filtered as the form renders, unknown values noted."""
    from urllib.parse import urlencode

    from valuetracker.models import Stakeholder, utcnow

    from .factories import make_pulse, make_stakeholder
    from .rendered import page_html, page_text, rendered_forms

    carol, dan = cast.stakeholder1, cast.stakeholder2
    gone = make_stakeholder(session, cast.account1, "Gone Person")
    make_pulse(session, carol, taken_on=date(2026, 10, 2), ranking=["productivity", "strategic"])
    make_pulse(session, carol, taken_on=date(2026, 11, 2), ranking=["strategic"])
    make_pulse(session, carol, taken_on=date(2026, 11, 3))  # no ranking
    make_pulse(session, carol, taken_on=date(2026, 9, 30), ranking=["strategic"])  # Q3
    make_pulse(session, gone, taken_on=date(2026, 12, 1), ranking=["cost_reduction"])
    make_pulse(session, dan, taken_on=date(2026, 10, 5), ranking=["strategic"])  # Globex
    session.get(Stakeholder, gone.id).erased_at = utcnow()
    session.commit()
    quarter = "ranked=yes&taken_from=2026-10-01&taken_to=2026-12-31"
    leader = login_as(cast.leader)
    rows = _csv(leader, f"/pulses?{quarter}&segment=Enterprise&sort=taken")
    assert [(r["Person"], r["Taken on"], r["Ranking"]) for r in rows] == [
        ("Carol Buyer", "2026-10-02", "productivity;strategic"),
        ("Carol Buyer", "2026-11-02", "strategic"),
        ("(erased)", "2026-12-01", "cost_reduction")]
    assert len(_csv(leader, f"/pulses?{quarter}")) == 4
    assert {r["Account"] for r in _csv(login_as(cast.am2), "/pulses")} == {"Globex"}
    assert len(_csv(leader, "/pulses?ranked=no")) == 1
    text = page_text(page_html(leader, "/pulses?segment=Nowhere&sort=mood"))
    assert "“Nowhere” isn't a value of the segment filter; ignored." in text
    assert "Sorting by “mood” isn't available" in text
    html_page = page_html(leader, "/pulses")
    [form] = [f for f in rendered_forms(html_page) if f.method == "get" and "ranked" in f.names]
    query = urlencode(list(form.data(segment="Mid-market", ranked="yes").items(multi=True)))
    shown = page_text(page_html(leader, f"{form.action}?{query}"))
    assert "Dan Champion" in shown and "Carol Buyer" not in shown
    # the account's pulse history opens the list filtered to the account
    history = page_html(leader, f"/accounts/{cast.account1.slug}/value/pulses")
    link = f'href="/pulses?account={cast.account1.id}"'
    assert link in history
    assert len(_csv(leader, f"/pulses?account={cast.account1.id}")) == 5
