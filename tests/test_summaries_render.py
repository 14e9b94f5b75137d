"""PDF rendering: content read back with pypdf, hostile input, the URL fetcher, the time limit."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session

from valuetracker.models import Setting
from valuetracker.quarters import parse_quarter
from valuetracker.summaries import render
from valuetracker.summaries.generate import build_pdf, summary_html
from valuetracker.summaries.render import RefusedURL, RenderTimeout, asset_fetcher, html_to_pdf

from .conftest import pdf_text
from .factories import make_commitment, make_deal, make_entry, make_pulse, make_stakeholder
from .factories.scenarios import seed_account_value

Q3 = parse_quarter("2026-Q3")


@pytest.fixture(autouse=True)
def _stop_pool() -> Iterator[None]:
    yield
    render.shutdown_pool()


def test_personal_summary_for_economic_buyer_leads_with_money(app: Flask, session: Session,
                                                               cast: object) -> None:
    account, buyer = cast.account1, cast.stakeholder1  # type: ignore[attr-defined]
    buyer.title = "CFO"
    seed_account_value(session, account, buyer)
    make_pulse(session, buyer, ranking=["revenue_growth", "cost_reduction"],
               taken_on=date(2026, 9, 10), intent="probably", recommend=8)
    session.commit()
    with app.app_context():
        pdf = build_pdf(session, account, buyer, Q3)
    reader, text = pdf_text(pdf)
    assert "Prepared for Carol Buyer, CFO at Acme Corp by Alice Manager" in text
    assert "Dear Carol Buyer" in text
    # Value delivered = currency entries of the quarter; 7,500 of 12,500 confirmed.
    assert "$12,500 Value delivered in 2026-" in text and "60% confirmed" in text
    assert "$14,500" in text  # all time, including last year's entry
    assert "Our finance team closes the month two days earlier." in text
    assert "Self-service reporting" in text and "2026-11-15" in text
    assert "Contract renewal analytics" in text and "2026-12-20" in text
    assert "Far future thing" not in text  # due after next quarter
    # Ranked drivers first: revenue growth row precedes cost reduction.
    assert text.index("Revenue growth $5,000") < text.index("Cost reduction $7,500")
    assert 1 <= len(reader.pages) <= 3
    assert reader.metadata.title == "Value summary 2026-Q3 for Carol Buyer — Acme Corp"
    assert reader.metadata.author == "Alice Manager"
    assert reader.attachments == {}
    assert "Page 1 of" in text


def test_champion_leads_with_time_saved(app: Flask, session: Session, cast: object) -> None:
    account2, champion = cast.account2, cast.stakeholder2  # type: ignore[attr-defined]
    make_entry(session, account2, title="Report automation", driver="productivity",
               amount=Decimal("35"), unit="hours", delivered_on=date(2026, 8, 15))
    make_entry(session, account2, title="Faster quotes", driver="revenue_growth",
               amount=Decimal("900"), delivered_on=date(2026, 8, 20))
    session.commit()
    with app.app_context():
        html, data = summary_html(session, account2, champion, Q3)
    assert data.lead == "time"
    assert html.index("Time saved in 2026-Q3") < html.index("Value delivered in 2026-Q3")
    assert data.hours_quarter == Decimal("35")


def test_champion_without_any_time_saved_gets_the_value_headline(
        app: Flask, session: Session, cast: object) -> None:
    account2, champion = cast.account2, cast.stakeholder2  # type: ignore[attr-defined]
    make_entry(session, account2, title="Renewal analytics", driver="revenue_growth",
               amount=Decimal("4000"), delivered_on=date(2026, 8, 15))
    session.commit()
    with app.app_context():
        html, data = summary_html(session, account2, champion, Q3)
    assert data.lead == "money" and data.hours_all_time == 0
    assert "Time saved in 2026-Q3" not in html and "Value delivered in 2026-Q3" in html


def test_internal_review_adds_stakeholders_coverage_and_deals(app: Flask, session: Session,
                                                             cast: object) -> None:
    account = cast.account1  # type: ignore[attr-defined]
    seed_account_value(session, account, cast.stakeholder1)  # type: ignore[attr-defined]
    make_stakeholder(session, account, "Olga Optout", is_key=True,
                     opted_out_at=datetime(2026, 2, 1, tzinfo=UTC))
    make_deal(session, account, "open", name="Renewal 2027", amount=Decimal("50000"))
    session.commit()
    with app.app_context():
        pdf = build_pdf(session, account, None, Q3)
    _reader, text = pdf_text(pdf)
    assert "Account review, 2026-Q3" in text
    assert "Olga Optout" in text and "Skipped" in text
    assert "Renewal 2027" in text and "$50,000" in text
    assert "0% 0 of 1" in text.replace("Summary coverage (", "")


HOSTILE_TITLE = '<img src="file:///etc/hostname">'
HOSTILE_DESC = '<link rel=attachment href="file:///etc/passwd"> and <a rel="attachment" ' \
               'href="file:///etc/passwd">x</a>'


def test_hostile_content_is_shown_literally_and_fetches_nothing(
        app: Flask, session: Session, cast: object) -> None:
    account, buyer = cast.account1, cast.stakeholder1  # type: ignore[attr-defined]
    buyer.name = "Eve <style>@import url(http://127.0.0.1:9/x.css);</style>"
    make_entry(session, account, title=HOSTILE_TITLE, description=HOSTILE_DESC,
               delivered_on=date(2026, 8, 15))
    make_commitment(session, account, title="url(http://127.0.0.1:9/c.png)",
                    due_on=date(2026, 11, 30))
    # Branding fields typed by an admin: a CSS url() to loopback in the colour and name.
    session.add(Setting(key="branding", value={
        "company_name": "Evil</style><link rel=stylesheet href=http://127.0.0.1:9/s.css>",
        "primary_color": "red; background: url(http://127.0.0.1:9/bg.png)",
        "logo_filename": "../../etc/passwd",
    }))
    session.commit()
    fetcher = asset_fetcher()
    with app.app_context():
        html, _data = summary_html(session, account, buyer, Q3)
        pdf = build_pdf(session, account, buyer, Q3, fetcher=fetcher)
    assert "&lt;img src=&#34;file:///etc/hostname&#34;&gt;" in html
    assert "127.0.0.1" not in html.split("<style>")[1].split("</style>")[0]  # CSS untouched
    reader, text = pdf_text(pdf)
    assert HOSTILE_TITLE in text
    assert "<link rel=attachment" in text
    assert "Evil</style><link rel=stylesheet" in text
    assert reader.attachments == {}
    assert fetcher.refused == []
    # Only the bundled fonts and the app's own chart (an SVG in a data: URI) were loaded.
    assert all(url.startswith("vt-asset:static/fonts/") or url == "data:"
               for url in fetcher.served)
    assert fetcher.served.count("data:") == html.count('src="data:image/svg+xml;base64,') == 1
    assert b"/EmbeddedFile" not in pdf


def test_fetcher_serves_assets_and_data_only(tmp_path: Path) -> None:
    branding = tmp_path / "branding"
    branding.mkdir()
    (branding / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    (tmp_path / "secret.png").write_bytes(b"secret")
    fetcher = asset_fetcher(branding_dir=branding)
    font = fetcher.fetch("vt-asset:static/fonts/inter-latin-400-normal.woff")
    assert font.read()[:4] == b"wOFF" and font.content_type == "font/woff"
    assert fetcher.fetch("vt-asset:branding/logo.png").read().startswith(b"\x89PNG")
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    refused = [
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.css",
        "https://example.com/x.png",
        "vt-asset:branding/../secret.png",
        "vt-asset:static/../../../../etc/passwd",
        "vt-asset:static/js/app.js",  # not a type the PDF needs
        "vt-asset:elsewhere/x.png",
        "x.png",
    ]
    for url in refused:
        with pytest.raises((RefusedURL, ValueError)):
            fetcher.fetch(url)
    assert fetcher.refused == refused


# Terminating a multiprocessing pool mid-render can leave its handler threads with a
# broken pipe that Python reports as "unraisable"; that is the intended kill, not a bug.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_render_time_limit_in_main_thread_and_in_other_threads() -> None:
    big = "<table>" + "<tr><td>cell</td></tr>" * 30000 + "</table>"
    render.font_config()
    with pytest.raises(RenderTimeout):
        html_to_pdf(big, timeout=0.2)
    # Cut off perhaps while registering a font: the next render starts a new configuration.
    assert render._font_config is None
    # A request thread cannot use signals: the render runs in a pool with a timeout.
    outcome: dict[str, object] = {}

    def in_thread() -> None:
        try:
            html_to_pdf(big, timeout=0.5)
        except RenderTimeout as exc:
            outcome["timeout"] = exc
        outcome["small"] = html_to_pdf("<p>hello</p>", timeout=30)

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join(60)
    assert isinstance(outcome.get("timeout"), RenderTimeout)
    assert bytes(outcome["small"]).startswith(b"%PDF")  # type: ignore[arg-type]


def test_font_folders_of_ended_processes_are_swept(tmp_path: Path) -> None:
    import subprocess
    import sys

    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    render.FONTS_ROOT.mkdir(mode=0o700, exist_ok=True)
    left_behind = render.FONTS_ROOT / f"{int(ended.stdout)}-killed"
    left_behind.mkdir()
    (left_behind / "font").write_bytes(b"x")
    render.forget_font_config()
    folder = render.font_config()._folder
    assert not left_behind.exists()
    assert folder.parent == render.FONTS_ROOT and folder.name.startswith(f"{os.getpid()}-")
    html = ('<style>@font-face { font-family: Inter; src: url("vt-asset:static/fonts/'
            'inter-latin-400-normal.woff") }</style><p style="font-family: Inter">fonts</p>')
    assert html_to_pdf(html, timeout=30).startswith(b"%PDF")
    assert any(folder.iterdir())  # the bundled fonts were decoded into it
    render.forget_font_config()
    assert not folder.exists()
