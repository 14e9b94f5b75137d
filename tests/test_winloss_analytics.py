"""Win rates, factor impact, head-to-head, reasons, scorecard and quotes on a hand-computed set."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from valuetracker.quarters import Quarter
from valuetracker.winloss import (
    GROUPINGS,
    competitor_head_to_head,
    factor_impact,
    factor_ratings_for_quarter,
    overall_win_rate,
    program_scorecard,
    quotes_for_quarter,
    reason_disagreements,
    top_reasons,
    win_rates,
    win_rates_by_competitor,
    win_rates_by_segment,
)
from valuetracker.winloss.analytics import analytics_page

from .conftest import get_statements
from .factories import (
    make_account,
    make_competitor,
    make_deal,
    make_factor,
    make_interview,
    make_quote,
    make_rating,
    make_user,
)

Q2 = date(2026, 5, 10)
Q3 = date(2026, 8, 10)


@pytest.fixture
def data(session: Any, cast: Any) -> dict[str, Any]:
    """Enterprise (account1): 3 won, 1 lost, 1 no decision in 2026-Q2.
    Mid-market (account2): 1 won, 2 lost in 2026-Q3. Plus an open deal and an old win."""
    price = make_factor(session, "Price", "Commercial")
    support = make_factor(session, "Support", "Delivery")
    msft = make_competitor(session, "Microsoft", "MSFT")
    a1, a2 = cast.account1, cast.account2
    won = [make_deal(session, a1, "won", Q2, name=f"E won {i}", owner_id=cast.am1.id,
                     product="Core", amount=Decimal("10000"),
                     competitors=(msft,) if i < 2 else ()) for i in range(3)]
    e_lost = make_deal(session, a1, "lost", Q2, owner_id=cast.am1.id, product="Core",
                       rep_reason_id=price.id)
    make_deal(session, a1, "no_decision", Q2, owner_id=cast.am1.id, product="Core")
    m_won = make_deal(session, a2, "won", Q3, owner_id=cast.am2.id, product="Add-on")
    m_lost = [make_deal(session, a2, "lost", Q3, owner_id=cast.am2.id, product="Add-on",
                        amount=Decimal("5000"), competitors=(msft,) if i == 0 else ())
              for i in range(2)]
    make_deal(session, a1, "open", None)
    make_deal(session, a2, "won", date(2025, 12, 31), owner_id=cast.am2.id, product="Add-on")
    # Interviews: Price rated 4 and 5 in won deals, 2 in a lost deal -> impact 2.5.
    i1 = make_interview(session, won[0], cast.stakeholder1, primary_reason_id=price.id,
                        completed_at=datetime(2026, 5, 20, 9, tzinfo=UTC))  # 10 days
    i2 = make_interview(session, won[1], None, contact_name="Outside Olga",
                        completed_at=datetime(2026, 5, 30, 9, tzinfo=UTC))  # 20 days
    i3 = make_interview(session, e_lost, cast.stakeholder1, primary_reason_id=support.id,
                        completed_at=datetime(2026, 5, 25, 9, tzinfo=UTC))  # 15 days
    scheduled = make_interview(session, m_lost[0], cast.stakeholder2, status="scheduled")
    make_interview(session, m_lost[1], None, status="declined")
    make_interview(session, m_won, None, status="no_response")
    make_rating(session, i1, price, 4, "win_driver")
    make_rating(session, i2, price, 5)
    make_rating(session, i3, price, 2, "loss_driver")
    make_rating(session, i1, support, 3)
    make_rating(session, scheduled, price, 1, "loss_driver")  # not completed: ignored
    make_quote(session, i1, "Fair price for what we get", price, "pricing;value")
    make_quote(session, i3, "Support was slow", support, "support")
    session.commit()
    return {"price": price, "support": support, "msft": msft}


def test_win_rates_by_segment(session: Any, data: Any) -> None:
    rows = {r.group: r for r in win_rates_by_segment(session, since=date(2026, 1, 1),
                                                     until=date(2026, 12, 31))}
    ent, mid = rows["Enterprise"], rows["Mid-market"]
    assert (ent.won, ent.lost, ent.no_decision) == (3, 1, 1)
    assert ent.win_rate == pytest.approx(0.6)
    assert (mid.won, mid.lost, mid.no_decision) == (1, 2, 0)
    assert mid.win_rate == pytest.approx(1 / 3)
    assert ent.small_sample and mid.small_sample
    assert ent.as_dict() == {"group": "Enterprise", "won": 3, "lost": 1, "no_decision": 1,
                             "win_rate": 0.6, "ci_low": pytest.approx(0.2307, abs=1e-4),
                             "ci_high": pytest.approx(0.8824, abs=1e-4), "small_sample": True}
    everything = {r.group: r for r in win_rates_by_segment(session)}
    assert everything["Mid-market"].won == 2  # the 2025 win counts without a period


def test_win_rates_by_quarter_owner_product(session: Any, data: Any) -> None:
    by_quarter = [(r.group, r.won, r.lost) for r in win_rates(session, by="quarter")]
    assert by_quarter == [("2025-Q4", 1, 0), ("2026-Q2", 3, 1), ("2026-Q3", 1, 2)]
    by_owner = {r.group: r.closed for r in win_rates(session, by="owner",
                                                     since=date(2026, 1, 1))}
    assert by_owner == {"Alice Manager": 5, "Bob Manager": 3}
    by_product = {r.group: r.won for r in win_rates(session, by="product")}
    assert by_product == {"Add-on": 2, "Core": 3}
    with pytest.raises(ValueError):
        win_rates(session, by="colour")


def test_competitor_head_to_head(session: Any, data: Any) -> None:
    rows = competitor_head_to_head(session, since=date(2026, 1, 1))
    assert [r.group for r in rows] == ["Microsoft"]
    msft = rows[0]
    assert (msft.won, msft.lost) == (2, 1)
    assert msft.amount_won == Decimal("20000") and msft.amount_lost == Decimal("5000")
    groups = {r.group: r.closed for r in win_rates_by_competitor(session,
                                                                 since=date(2026, 1, 1))}
    assert groups == {"(none)": 5, "Microsoft": 3}


def test_factor_impact_hand_computed(session: Any, data: Any) -> None:
    rows = {r.name: r for r in factor_impact(session)}
    price = rows["Price"]
    assert price.won_mean == pytest.approx(4.5) and price.lost_mean == pytest.approx(2.0)
    assert price.impact == pytest.approx(2.5)
    assert (price.won_ratings, price.lost_ratings) == (2, 1)
    assert (price.win_driver, price.loss_driver) == (1, 1)  # the scheduled one is ignored
    assert rows["Support"].impact is None and rows["Support"].won_mean == pytest.approx(3.0)
    q3 = factor_ratings_for_quarter(session, Quarter(2026, 3))
    assert q3 == []  # the Q3 interview is not completed


def test_reasons_disagreement_and_scorecard(session: Any, data: Any) -> None:
    reasons = top_reasons(session)
    assert [(r.factor, r.buyer, r.rep) for r in reasons["won"]] == [("Price", 1, 0)]
    assert [(r.factor, r.buyer, r.rep) for r in reasons["lost"]] == [
        ("Price", 0, 1), ("Support", 1, 0)]
    disagreement = reason_disagreements(session)
    assert (disagreement.compared, disagreement.disagreeing) == (1, 1)
    assert disagreement.pairs == [("Price", "Support", 1)]
    card = program_scorecard(session, since=date(2026, 1, 1), until=date(2026, 12, 31))
    assert card.closed_deals == 8
    assert (card.requested, card.completed, card.declined, card.no_response) == (6, 3, 1, 1)
    assert card.response_rate == pytest.approx(3 / 5)
    assert card.median_days_to_interview == 15
    overall = overall_win_rate(session, since=date(2026, 1, 1))
    assert (overall.won, overall.lost, overall.no_decision) == (4, 3, 1)


def test_quotes_for_quarter(session: Any, data: Any) -> None:
    quotes = quotes_for_quarter(session, Quarter(2026, 2))
    assert {q["quote"] for q in quotes} == {"Fair price for what we get", "Support was slow"}
    assert all(set(q) == {"deal", "account", "outcome", "factor", "tags", "quote",
                          "interviewee"} for q in quotes)


def test_analytics_page_renders_figures(login_as: Any, cast: Any, data: Any) -> None:
    page = login_as(cast.analyst).get("/analytics?by=segment").get_data(as_text=True)
    assert "Enterprise" in page and "Microsoft" in page and "+2.50" in page
    assert "<svg" in page
    page = login_as(cast.leader).get("/analytics?by=quarter&since=2026-01-01&until=nonsense")
    assert page.status_code == 200 and "2026-Q3" in page.get_data(as_text=True)
    quotes = login_as(cast.analyst).get(f"/quotes?factor={data['support'].id}&tag=support")
    text = quotes.get_data(as_text=True)
    assert "Support was slow" in text and "Fair price" not in text


def test_analytics_dates_outside_the_calendar_people_mean_are_ignored_with_a_note(
        login_as: Any, cast: Any, data: Any) -> None:
    """Year 1 or 9999 parse as dates but leave no room for the month arithmetic: each is
    refused with the date rule's message, and the page shows every closed deal."""
    client = login_as(cast.leader)
    whole = client.get("/analytics").get_data(as_text=True)
    for query in ("until=0001-01-15", "since=9999-12-15", "since=0001-01-02&until=9999-12-30"):
        response = client.get(f"/analytics?{query}")
        text = response.get_data(as_text=True)
        assert response.status_code == 200, query
        assert "Enter a date between 1900 and 2199." in text, query
        assert "Microsoft" in text and ("Microsoft" in whole)


def _count_queries(app: Any, client: Any, url: str) -> int:
    return len(get_statements(app, client, url, without_menu=True))


def test_analytics_query_count_does_not_grow(app: Any, session: Any, login_as: Any,
                                             cast: Any, data: Any) -> None:
    client = login_as(cast.analyst)
    url = "/analytics?by=competitor"
    before = _count_queries(app, client, url)
    owner = make_user(session, "account_manager")
    for n in range(40):
        account = make_account(session, f"Extra {n}", owner=owner, segment=f"Seg {n % 7}")
        competitor = make_competitor(session, f"Rival {n}")
        deal = make_deal(session, account, ("won", "lost", "no_decision")[n % 3], Q2,
                         competitors=(competitor,))
        interview = make_interview(session, deal)
        make_rating(session, interview, data["price"], n % 5 + 1, "win_driver")
        make_quote(session, interview, f"Quote {n}", data["price"])
    session.commit()
    assert _count_queries(app, client, url) == before


def test_analytics_by_quarter_filter(login_as: Any, cast: Any, data: Any) -> None:
    client = login_as(cast.analyst)
    page = client.get("/analytics?quarter=2026-Q3&by=segment").get_data(as_text=True)
    assert "Mid-market" in page and "Enterprise" not in page.split("Win rate by segment")[2]
    response = client.get("/analytics?quarter=next+year")
    assert response.status_code == 200 and "write it like 2026-Q3" in \
        response.get_data(as_text=True)


def test_combined_rows_equal_the_overall_figure(session: Any, data: Any) -> None:
    from valuetracker.winloss.analytics import combine

    for by in ("segment", "quarter", "owner", "product"):
        total = combine(win_rates(session, by=by))
        overall = overall_win_rate(session)
        assert (total.won, total.lost, total.no_decision, total.amount_won) == \
            (overall.won, overall.lost, overall.no_decision, overall.amount_won), by


def test_win_rates_match_an_independent_count_over_thousands_of_deals(
        session: Any, cast: Any) -> None:
    import random
    from collections import Counter

    from valuetracker.models import Deal
    from valuetracker.winloss.stats import wilson_interval

    rng = random.Random(7)
    segments = {"Enterprise": make_account(session, "Big", segment="Enterprise"),
                "SMB": make_account(session, "Small", segment="SMB"),
                None: make_account(session, "Unsegmented", segment=None)}
    expected: Counter[tuple[str, str]] = Counter()
    rows = []
    for n in range(3000):
        segment = rng.choice(list(segments))
        outcome = rng.choice(("won", "lost", "no_decision", "open"))
        closed = date(2025, 1, 1) + timedelta(days=rng.randrange(730))
        in_period = date(2025, 7, 1) <= closed <= date(2026, 6, 30)
        if outcome != "open" and in_period:
            expected[(segment or "(none)", outcome)] += 1
        rows.append({"account_id": segments[segment].id, "name": f"D{n}", "outcome": outcome,
                     "closed_on": None if outcome == "open" else closed})
    session.execute(sa.insert(Deal), rows)
    session.commit()
    got = {r.group: r for r in win_rates_by_segment(session, since=date(2025, 7, 1),
                                                    until=date(2026, 6, 30))}
    assert set(got) == {"(none)", "Enterprise", "SMB"}
    for group, row in got.items():
        won, lost, nd = (expected[(group, o)] for o in ("won", "lost", "no_decision"))
        assert (row.won, row.lost, row.no_decision) == (won, lost, nd)
        assert row.win_rate == pytest.approx(won / (won + lost + nd))
        assert (row.ci_low, row.ci_high) == pytest.approx(wilson_interval(won, won + lost + nd))
        assert not row.small_sample


@pytest.mark.parametrize("by", GROUPINGS)
@pytest.mark.parametrize("period", [(None, None), (date(2026, 1, 1), date(2026, 12, 31))])
def test_analytics_page_equals_the_separate_figures(session: Any, data: Any, by: str,
                                                    period: tuple[Any, Any]) -> None:
    since, until = period
    kw = {"since": since, "until": until}
    page = analytics_page(session, by=by, **kw)
    assert page.groups == win_rates(session, by=by, **kw)
    assert page.overall == overall_win_rate(session, **kw)
    assert page.head_to_head == competitor_head_to_head(session, **kw)
    assert page.impact == factor_impact(session, **kw)
    assert page.reasons == top_reasons(session, **kw)
    assert page.disagreement == reason_disagreements(session, **kw)
    assert page.scorecard == program_scorecard(session, **kw)


def test_disagreement_counts_deals_once_and_pairs_per_interview(session: Any, cast: Any,
                                                                data: Any) -> None:
    price, support = data["price"], data["support"]
    deal = make_deal(session, cast.account1, "lost", Q2, rep_reason_id=price.id)
    for _ in range(2):
        make_interview(session, deal, None, primary_reason_id=support.id)
    session.commit()
    disagreement = reason_disagreements(session)
    assert (disagreement.compared, disagreement.disagreeing) == (2, 2)
    assert disagreement.pairs == [("Price", "Support", 3)]
    card = program_scorecard(session, since=date(2026, 1, 1), until=date(2026, 12, 31))
    assert (card.closed_deals, card.requested, card.completed) == (9, 8, 5)


def test_analytics_page_statement_count(app: Any, login_as: Any, cast: Any, data: Any) -> None:
    """The user, the groups, the head-to-head, factor names and impact, rep reasons, one
    count of interviews (statuses, buyer reasons, pairs), the deals compared, the days,
    the competitors' ids (for the figures' links to their deals); plus the data version
    (valuetracker.cache). Unchanged data: the user and the version."""
    client = login_as(cast.analyst)
    assert _count_queries(app, client, "/analytics?by=segment") == 11
    assert _count_queries(app, client, "/analytics?by=competitor") == 11
    assert _count_queries(app, client, "/analytics?by=segment") == 2


def test_factor_reason_and_pair_figures_open_their_interviews_and_deals(
        session: Any, cast: Any, login_as: Any, data: Any) -> None:
    """Factor impact's "(n)" and drivers, the top reasons and rep versus buyer link to the
    rows they count: a deal with two disagreeing interviews is one deal, two interviews."""
    from urllib.parse import parse_qs, urlsplit

    from .test_figure_links import check_figures

    price, support = data["price"], data["support"]
    deal = make_deal(session, cast.account1, "lost", Q2, rep_reason_id=price.id)
    for _ in range(2):
        make_interview(session, deal, None, primary_reason_id=support.id)
    session.commit()
    checked = check_figures(login_as(cast.leader), "/analytics?by=segment")

    def count(path: str, **wanted: Any) -> set[int | None]:
        found = set()
        for f in checked:
            parts = urlsplit(f.href)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == path and all(query.get(k) == str(v) for k, v in wanted.items()):
                found.add(f.count)
        return found

    assert count("/interviews", factor=price.id, effect="rated", outcome="won") == {2}
    assert count("/interviews", factor=price.id, effect="loss_driver") == {1}
    assert count("/interviews", reason=support.id, outcome="lost") == {3}
    assert count("/interviews", reason=support.id, rep_reason=price.id) == {3}
    assert count("/deals", rep_reason=price.id, outcome="lost") == {2}
    assert count("/deals", debrief="disagreeing") == {2}
