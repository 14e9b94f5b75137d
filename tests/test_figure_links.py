"""Every figure opens onto its rows: on the demo installation, each linked figure of the
analytics, portfolio, coverage, value and account pages (`data-figure`, from
`_macros/figures.html`) is followed, and the list it opens (its CSV, every matching row)
holds exactly that many rows, and for a sum, rows adding up to it. A page fails when a
figure that needs a link has none: every `.stat` card, every `data-figure-cell` and
every number cell of a `data-figure-row` table row holds a figure link (or says why
not, `data-figure-exempt`), and no figure is left `data-figure-unlinked`."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, quote, unquote_plus, urlsplit

import pytest
from flask import Flask
from sqlmodel import Session, select

from valuetracker.demo import seed_demo
from valuetracker.models import Account, User

from .conftest import login

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


@dataclass
class Figure:
    text: str
    count: int | None
    href: str
    total: str | None = None
    total_column: str | None = None


@dataclass
class _Open:
    tag: str
    attrs: dict[str, str]
    needs_link: bool
    has_link: bool = False
    text: list[str] = field(default_factory=list)


class FigureParser(HTMLParser):
    """The figure links of a page, its unlinked figures, and the containers that need a
    figure link but hold none."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.figures: list[Figure] = []
        self.unlinked: list[str] = []
        self.missing: list[str] = []
        self.stack: list[_Open] = []
        self.in_figure_row = 0

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attrs_list}
        classes = attrs.get("class", "").split()
        exempt = "data-figure-exempt" in attrs
        needs = not exempt and ("stat" in classes or "data-figure-cell" in attrs or (
            tag == "td" and "text-end" in classes and self._in_row()))
        if tag in VOID:
            return
        opened = _Open(tag, attrs, needs)
        if tag == "a" and "data-figure" in attrs:
            for outer in self.stack:
                outer.has_link = True
        self.stack.append(opened)

    def _in_row(self) -> bool:
        return any(o.tag == "tr" and "data-figure-row" in o.attrs for o in self.stack)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        while self.stack:
            opened = self.stack.pop()
            text = " ".join("".join(opened.text).split())
            if self.stack:
                self.stack[-1].text.append("".join(opened.text))
            if opened.tag == "a" and "data-figure" in opened.attrs:
                count = opened.attrs.get("data-figure-count")
                self.figures.append(Figure(
                    text, None if count is None else int(count), opened.attrs["href"],
                    opened.attrs.get("data-figure-sum"),
                    opened.attrs.get("data-figure-sum-column")))
            if "data-figure-unlinked" in opened.attrs:
                self.unlinked.append(text)
            if opened.needs_link and not opened.has_link:
                self.missing.append(text or f"<{opened.tag}>")
            if opened.tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.stack:
            self.stack[-1].text.append(data)


def parse_figures(html: str) -> FigureParser:
    parser = FigureParser()
    parser.feed(html)
    parser.close()
    return parser


def csv_url(href: str) -> str:
    parts = urlsplit(href)
    query = parse_qs(parts.query, keep_blank_values=True)
    query["format"] = ["csv"]
    pairs = "&".join(f"{quote(k)}={quote(v)}" for k, values in query.items() for v in values)
    return f"{parts.path}?{pairs}"


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", "")) if text else Decimal(0)


def check_figures(client: Any, url: str) -> list[Figure]:
    """Open `url`, follow every figure link; assert each list holds the figure's rows.
    Returns the figures checked."""
    response = client.get(url)
    assert response.status_code == 200, url
    found = parse_figures(response.get_data(as_text=True))
    assert not found.missing, f"{url}: figures without a link: {found.missing}"
    assert not found.unlinked, f"{url}: figures left unlinked: {found.unlinked}"
    opened: dict[str, list[dict[str, str]]] = {}
    for fig in found.figures:
        if fig.href not in opened:
            listed = client.get(csv_url(fig.href))
            assert listed.status_code == 200, fig.href
            assert listed.mimetype == "text/csv", fig.href
            opened[fig.href] = list(csv.DictReader(io.StringIO(listed.get_data(as_text=True))))
            page = client.get(fig.href)
            assert page.status_code == 200, fig.href
            assert b"list-note" not in page.data, f"{fig.href} ignored a filter"
        rows = opened[fig.href]
        shown = re.match(r"^(\d[\d,]*)(\s|$)", fig.text)
        if shown and fig.count is not None and fig.total is None:  # a count, as read
            assert int(shown.group(1).replace(",", "")) == fig.count, (url, fig.text)
        assert fig.count is not None or fig.total is not None, f"{url}: “{fig.text}” says nothing"
        assert fig.count is None or len(rows) == fig.count, \
            f"{url}: “{fig.text}” says {fig.count}, {fig.href} lists {len(rows)}"
        if fig.total is not None:
            total = sum((_number(r[fig.total_column or "Amount"]) for r in rows), Decimal(0))
            assert total == Decimal(fig.total), f"{url}: “{fig.text}” sums {fig.total}, " \
                                                f"{fig.href} adds up to {total}"
    return found.figures


def test_parser_finds_missing_and_unlinked_figures() -> None:
    html = ('<div class="stat">3</div><div class="stat">'
            '<a href="/x" data-figure data-figure-count="2">2</a></div>'
            '<table><tr data-figure-row><td class="text-end">4</td>'
            '<td class="text-end"><span data-figure-unlinked="1">1</span></td></tr></table>'
            '<div class="stat" data-figure-exempt="a median">5</div>')
    found = parse_figures(html)
    assert [f.count for f in found.figures] == [2]
    assert found.missing == ["3", "4", "1"]
    assert found.unlinked == ["1"]


@pytest.fixture
def demo(session: Session) -> Session:
    seed_demo(session)
    session.commit()
    return session


def _user(session: Session, email: str) -> User:
    return session.exec(select(User).where(User.email == email)).one()


def test_analytics_figures_open_their_deals(app: Flask, demo: Session) -> None:
    client = login(app.test_client(), _user(demo, "leader@demo.example"))
    checked = []
    for by in ("segment", "competitor", "quarter", "owner", "product"):
        checked += check_figures(client, f"/analytics?by={by}")
    checked += check_figures(client, "/analytics?by=segment&since=2026-01-01")
    assert len(checked) > 50
    assert any(f.total is not None for f in checked)
    # factor impact, top reasons and rep versus buyer open their interviews and deals
    opened = [(urlsplit(f.href).path, parse_qs(urlsplit(f.href).query)) for f in checked
              if f.count]
    for path, name, value in (
            ("/interviews", "effect", "rated"), ("/interviews", "effect", "win_driver"),
            ("/interviews", "effect", "loss_driver"), ("/interviews", "reason", None),
            ("/interviews", "rep_reason", None), ("/deals", "rep_reason", None),
            ("/interviews", "status", "answered"), ("/interviews", "status", "timed"),
            ("/deals", "debrief", "compared"), ("/deals", "debrief", "disagreeing"),
            ("/interviews", "outcome", "won_lost")):
        assert any(p == path and name in q and value in (None, q[name][0])
                   for p, q in opened), (path, name, value)
    # a factor impact (won mean − lost mean) opens the ratings it is the difference of
    differences = [f for f in checked if "outcome=won_lost" in f.href]
    for fig in differences:
        rows = list(csv.DictReader(io.StringIO(
            client.get(csv_url(fig.href)).get_data(as_text=True))))
        means = {}
        for outcome in ("won", "lost"):
            ratings = [Decimal(r["Rating"]) for r in rows if r["Outcome"] == outcome]
            assert ratings, fig.href
            means[outcome] = sum(ratings) / len(ratings)
        # the figure is the difference rounded to two places
        assert abs(means["won"] - means["lost"] - Decimal(fig.text)) <= Decimal("0.005"), \
            (fig.href, fig.text, means)
    assert differences


def test_value_and_account_pages_figures_open_their_rows(app: Flask, demo: Session) -> None:
    client = login(app.test_client(), _user(demo, "leader@demo.example"))
    checked = []
    for slug in demo.exec(select(Account.slug).order_by(Account.name)).all():
        checked += check_figures(client, f"/accounts/{slug}/value")
        checked += check_figures(client, f"/accounts/{slug}")
    assert any(f.total is not None and f.total != "0" for f in checked)
    assert any(f.count for f in checked if "/commitments" in f.href)
    assert any(f.count for f in checked if "pulse=any" in f.href)
    assert any(f.count for f in checked if f.href.startswith("/tasks?account="))
    scores = [f for f in checked if f.href.startswith("/signals?account=")]  # health scores
    assert scores and any(f.count and f.total != "0" for f in scores)


def test_account_signals_list_is_scoped(app: Flask, cast: Any, login_as: Any) -> None:
    """The open signals behind a health score are listed only for an account the user
    sees: the account's own address opens the signals list filtered to it, another's
    answers 404 as its page does."""
    client = login_as(cast.am1)
    for url in (f"/accounts/{cast.account1.slug}/signals",
                f"/accounts/{cast.account1.slug}/signals?format=csv"):
        opened = client.get(url)
        assert opened.status_code == 302
        assert f"account={cast.account1.id}" in opened.headers["Location"]
    for url in (f"/accounts/{cast.account2.slug}/signals",
                f"/accounts/{cast.account2.slug}/signals?format=csv"):
        assert client.get(url).status_code == 404
    listed = client.get(f"/signals?account={cast.account1.id}&format=csv")
    assert listed.get_data(as_text=True).splitlines()[0].startswith("Account,Signal,Severity")


def test_coverage_figures_open_their_people(app: Flask, demo: Session) -> None:
    from valuetracker.quarters import current_quarter

    client = login(app.test_client(), _user(demo, "leader@demo.example"))
    quarter = current_quarter()
    checked = check_figures(client, "/summaries/coverage")
    checked += check_figures(client, f"/summaries/coverage?quarter={quarter.previous().label}")
    assert any("coverage=missing" in f.href and f.count for f in checked)


@pytest.mark.parametrize("email", ["leader@demo.example", "maria@demo.example"])
def test_portfolio_figures_open_their_accounts(app: Flask, demo: Session, email: str) -> None:
    client = login(app.test_client(), _user(demo, email))
    checked = check_figures(client, "/portfolio")
    assert any("health=below_healthy" in f.href for f in checked)
    assert any("/portfolio/tiers/" in f.href and f.count for f in checked)
    assert any(f.href.startswith("/signals?account=") and f.count for f in checked)  # scores
    # drift in priorities: each cell opens the quarter's pulses with a ranking
    assert any(f.href.startswith("/pulses?ranked=yes") and f.count for f in checked)
    changes = [f for f in checked if f.text.endswith(" pts")]  # the change in share
    assert changes and all(f.count is None and f.total is not None for f in changes)
    assert any(f.total != "0.00" for f in changes)


def test_none_groups_and_kept_owners_open_their_deals(app: Flask, cast: Any, session: Session,
                                                      login_as: Any) -> None:
    """Deals without a segment, product or competitor, and reps kept by name from a CRM
    import, are groups of the analytics too: their figures open onto them."""
    from datetime import date

    from .factories import make_account, make_competitor, make_deal

    plain = make_account(session, "No segment Ltd", segment=None)
    rival = make_competitor(session, "Rival")
    make_deal(session, plain, "won", date(2026, 2, 1), product=None, owner_name="Kim Park")
    make_deal(session, plain, "lost", date(2026, 2, 2), product="", competitors=(rival,))
    make_deal(session, None, "no_decision", date(2026, 3, 1), product="Core",
              owner_id=cast.am1.id)
    make_deal(session, cast.account1, "won", date(2026, 4, 1), product="Core",
              owner_name="Kim Park", owner_id=cast.am1.id)
    session.commit()
    client = login_as(cast.leader)
    checked = []
    for by in ("segment", "competitor", "quarter", "owner", "product"):
        checked += check_figures(client, f"/analytics?by={by}&until=2026-12-31")
    hrefs = unquote_plus(" ".join(f.href for f in checked))
    for wanted in ("segment=(none)", "product=(none)", "competitor=(none)", "rep=Kim Park",
                   "rep=(none)"):
        assert wanted in hrefs
