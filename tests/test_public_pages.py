"""The pages stakeholders answer on, as they receive them: the company's branding (name,
logo, colour) instead of the app's, who asks, the deal a survey is about, and the quicker
pulse (top three drivers, the 0–10 answer as buttons) with its field errors, submitted
as the page renders it."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PIL import Image
from sqlmodel import Session, select

from valuetracker import value as domain
from valuetracker.exports import build_quarter_export
from valuetracker.links import create_link
from valuetracker.models import LoyaltyPulse, Setting
from valuetracker.quarters import parse_quarter
from valuetracker.stakeholder_mail import asker
from valuetracker.summaries.branding import Branding, contrast, save_branding, store_logo

from .factories import make_deal, make_entry, make_factor, make_guide, make_pulse
from .rendered import page_form, rendered_form

COLOR = "#0f766e"


def logo_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (15, 118, 110)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _branding_dir(app_config: dict[str, Any], tmp_path: Path) -> None:
    app_config["BRANDING_DIR"] = str(tmp_path / "branding")


@pytest.fixture
def branded(app: Any, session: Session) -> Branding:
    """Northwind Services' branding with a logo, as an admin saves it."""
    with app.app_context():
        name = store_logo(logo_png())
    brand = Branding("Northwind Services", COLOR, name)
    save_branding(session, brand)
    session.commit()
    return brand


@pytest.fixture
def tokens(app: Any, session: Session, cast: Any) -> dict[str, str]:
    """A confirm and a pulse link sent by am1 (Alice Manager), a survey link of a deal."""
    entry = make_entry(session, cast.account1, "1200", title="Faster onboarding",
                       beneficiaries=(cast.stakeholder1,))
    make_guide(session, "won", factor=make_factor(session, "Service"))
    deal = make_deal(session, cast.account1, "won", date(2026, 10, 5), name="Acme renewal 2026")
    session.commit()
    with app.test_request_context():
        _c, confirm = create_link(session, "confirm_value", stakeholder_id=cast.stakeholder1.id,
                                  account_id=cast.account1.id, created_by_id=cast.am1.id,
                                  payload={"entry_ids": [entry.id]})
        _p, pulse = create_link(session, "pulse", stakeholder_id=cast.stakeholder1.id,
                                account_id=cast.account1.id, created_by_id=cast.am1.id)
        _s, survey = create_link(session, "buyer_survey", deal_id=deal.id,
                                 account_id=cast.account1.id,
                                 stakeholder_id=cast.stakeholder1.id)
    session.commit()
    return {"confirm": f"/l/confirm/{confirm}", "pulse": f"/l/pulse/{pulse}",
            "survey": f"/s/{survey}"}


def _text(html: str) -> str:
    """The page's words, tags dropped and spaces folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --------------------------------------------------------------------------- branding

def test_every_public_page_carries_the_branding_not_the_app(
        client: Any, session: Session, cast: Any, branded: Branding,
        tokens: dict[str, str]) -> None:
    pages = {name: client.get(path) for name, path in tokens.items()}
    pages["link error"] = client.get("/l/pulse/not-a-token")
    pages["survey closed"] = client.get("/s/not-a-token")
    pages["thanks"] = client.get("/l/thanks")
    from valuetracker.links import unsubscribe_token
    with client.application.app_context():
        token = unsubscribe_token(cast.stakeholder1.id)
    pages["unsubscribe"] = client.get(f"/l/unsubscribe/{token}")
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert "valuetracker" not in html.lower(), name
        assert '<span class="public-company" id="company-name">Northwind Services</span>' \
            in html, name
        assert "<title>" in html and "· Northwind Services</title>" in html, name
        assert 'src="/l/logo"' in html and 'href="/l/brand.css"' in html, name
        assert "Sign out" not in html and "<script" not in html, name
    assert pages["link error"].status_code == 404 and pages["survey closed"].status_code == 404

    # Who asks: the person who sent the link, at the company named in the branding.
    for name in ("confirm", "pulse"):
        text = _text(pages[name].get_data(as_text=True))
        assert "Alice Manager at Northwind Services asks" in text, name
        assert "Acme Corp" in text, name
    assert "Acme Corp" in _text(pages["pulse"].get_data(as_text=True))
    survey = _text(pages["survey"].get_data(as_text=True))
    # The survey link names no sender: the account's owner asks; it names its deal.
    assert "Alice Manager at Northwind Services asks about your decision on " \
           "Acme renewal 2026 (October 2026)" in survey


def test_logo_and_colour_are_served_by_the_app(client: Any, branded: Branding) -> None:
    with client.get("/l/logo") as logo:  # a file response: closed after reading
        assert logo.status_code == 200 and logo.mimetype == "image/png"
        assert logo.data == logo_png()
    css = client.get("/l/brand.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    body = css.get_data(as_text=True)
    assert f"--brand: {COLOR};" in body
    assert "--brand-on: #ffffff;" in body and "--brand-rgb: 15, 118, 110;" in body
    again = client.get("/l/brand.css", headers={"If-None-Match": css.headers["ETag"]})
    assert again.status_code == 304
    # The pages stay under the strict CSP (no inline style needed for the colour).
    page = client.get("/l/thanks")
    assert "style-src 'self'" in page.headers["Content-Security-Policy"]
    assert "style=" not in page.get_data(as_text=True)


def test_without_a_logo_there_is_no_image(client: Any, session: Session) -> None:
    save_branding(session, Branding("Northwind Services", "#ffe600", None))
    session.commit()
    assert client.get("/l/logo").status_code == 404
    html = client.get("/l/thanks").get_data(as_text=True)
    assert "/l/logo" not in html and "Northwind Services" in html
    css = client.get("/l/brand.css").get_data(as_text=True)
    # A light colour gets dark text on its buttons and a darker shade as text on white.
    assert "--brand-on: #111827;" in css
    ink = re.search(r"--brand-ink: (#[0-9a-f]{6});", css)
    assert ink and contrast(ink.group(1), "#ffffff") >= 4.5


def test_a_tampered_colour_never_reaches_the_stylesheet(client: Any, session: Session) -> None:
    session.add(Setting(key="branding", value={"company_name": "Northwind",
                                               "primary_color": "red;}body{display:none"}))
    session.commit()
    css = client.get("/l/brand.css").get_data(as_text=True)
    assert "display:none" not in css and "--brand: #1d4ed8;" in css


def test_who_asks(session: Session, cast: Any) -> None:
    from valuetracker.models import AccessLink

    link = AccessLink(nonce="n", purpose="pulse", stakeholder_id=cast.stakeholder1.id,
                      account_id=cast.account1.id, created_by_id=cast.leader.id,
                      expires_at=date(2030, 1, 1))
    # The one who signs the link's mail: the account's manager, else who sent it.
    assert asker(session, link) == cast.am1
    cast.am1.active = False
    session.add(cast.am1)
    assert asker(session, link) == cast.leader  # the owner is gone: who sent it
    deal = make_deal(session, cast.account1, "lost", owner_id=cast.am2.id)
    survey = AccessLink(nonce="s", purpose="buyer_survey", deal_id=deal.id,
                        expires_at=date(2030, 1, 1), created_by_id=cast.analyst.id)
    assert asker(session, survey) == cast.analyst  # the deal's account has no active owner
    cast.am1.active = True
    session.add(cast.am1)
    assert asker(session, survey) == cast.am1  # the deal's account's manager
    cast.account1.owner_id = None
    session.add(cast.account1)
    link.created_by_id = None
    assert asker(session, link) is None  # nobody: the page names the company alone


def test_a_link_nobody_answers_for_names_the_company(
        client: Any, session: Session, cast: Any, branded: Branding,
        tokens: dict[str, str]) -> None:
    cast.am1.active = False
    session.add(cast.am1)
    session.commit()
    text = _text(client.get(tokens["pulse"]).get_data(as_text=True))
    assert "Hello Carol Buyer, Northwind Services asks how working with us" in text
    assert "Alice" not in text


def test_admins_reach_the_branding_page_from_the_admin_pages(
        cast: Any, login_as: Any) -> None:
    admin = login_as(cast.admin)
    for page in ("/admin/users", "/admin/audit", "/admin/branding"):
        html = admin.get(page).get_data(as_text=True)
        assert 'href="/admin/branding">Branding</a>' in html, page
    assert 'aria-current="page" href="/admin/branding"' in admin.get(
        "/admin/branding").get_data(as_text=True)
    # Others see neither the admin menu nor its pages.
    html = login_as(cast.am1).get("/accounts").get_data(as_text=True)
    assert "/admin/" not in html


# --------------------------------------------------------------------------- the quicker pulse

def test_pulse_with_the_top_three_drivers_as_the_page_renders_it(
        client: Any, session: Session, cast: Any, tokens: dict[str, str]) -> None:
    html = client.get(tokens["pulse"]).get_data(as_text=True)
    form = rendered_form(html, having="recommend")
    assert {f"rank_{i}" for i in range(1, 7)} <= form.names
    # Eleven radio buttons, 0 to 10, named at the ends for screen readers.
    assert len(re.findall(r'<input class="btn-check" id="recommend-\d+" name="recommend" '
                          r'type="radio"', html)) == 11
    assert '<span class="visually-hidden">0 — not at all likely</span>' in html
    assert '<span class="visually-hidden">10 — extremely likely</span>' in html
    response = client.post(tokens["pulse"], data=form.data(
        satisfaction="4", repurchase_intent="definitely", recommend="10",
        rank_1="productivity", rank_2="risk_reduction", rank_3="revenue_growth",
        comment="Quick to answer."))
    assert response.status_code == 302 and response.headers["Location"].endswith("/l/thanks")
    pulse = session.exec(select(LoyaltyPulse)).one()
    assert pulse.driver_ranking == ["productivity", "risk_reduction", "revenue_growth"]
    assert (pulse.recommend, pulse.satisfaction, pulse.comment) == (10, 4, "Quick to answer.")


def test_pulse_field_errors_keep_the_answers(client: Any, session: Session, cast: Any,
                                             tokens: dict[str, str]) -> None:
    form = page_form(client, tokens["pulse"], having="recommend")
    answers = dict(satisfaction="5", repurchase_intent="probably", recommend="0",
                   rank_1="strategic", rank_2="cost_reduction", rank_3="strategic",
                   comment="Typed & kept")
    twice = client.post(tokens["pulse"], data=form.data(**answers))
    html = twice.get_data(as_text=True)
    assert twice.status_code == 200
    again = rendered_form(html, having="recommend")
    # The error sits on the later place; what was typed and clicked comes back.
    assert re.search(r'id="rank_3"[^>]*is-invalid|is-invalid[^>]*id="rank_3"', html)
    assert "Each value driver can take only one place." in html
    assert [again.value(n) for n in ("rank_1", "rank_2", "rank_3", "recommend",
                                     "satisfaction", "comment")] == \
        ["strategic", "cost_reduction", "strategic", "0", "5", "Typed & kept"]

    missing = client.post(tokens["pulse"], data=again.data(recommend=[], rank_2=""))
    html = missing.get_data(as_text=True)
    assert "Choose 0 to 10." in html and "Choose your top three value drivers." in html
    assert html.count("Choose 0 to 10.") == 1  # one message, not the radio's and ours
    assert session.exec(select(LoyaltyPulse)).all() == []
    # The optional places stay folded away unless they hold an answer or an error.
    assert "<details class=\"pulse-ranking-more\">" in html
    with_fourth = client.post(tokens["pulse"], data=again.data(rank_3="risk_reduction",
                                                               rank_4="cost_reduction"))
    assert '<details class="pulse-ranking-more" open>' in with_fourth.get_data(as_text=True)
    assert "Each value driver can take only one place." in with_fourth.get_data(as_text=True)


def test_team_records_a_pulse_with_three_drivers(client: Any, session: Session, cast: Any,
                                                 login_as: Any) -> None:
    am = login_as(cast.am1)
    url = f"/accounts/{cast.account1.slug}/value/pulses/new"
    form = page_form(am, url, having="recommend")
    response = am.post(url, data=form.data(
        stakeholder_id=str(cast.stakeholder1.id), satisfaction="3",
        repurchase_intent="not_sure", recommend="6", rank_1="customer_experience",
        rank_2="strategic", rank_3="productivity"))
    assert response.status_code == 302
    pulse = session.exec(select(LoyaltyPulse)).one()
    assert pulse.driver_ranking == ["customer_experience", "strategic", "productivity"]
    assert pulse.method == "recorded"


def test_a_ranking_needs_the_top_three_distinct_drivers(session: Session, cast: Any) -> None:
    base = {"satisfaction": 4, "repurchase_intent": "probably", "recommend": 8}
    for ranking, reason in (
            (["strategic", "productivity"], "top three"),
            (["strategic", "strategic", "productivity"], "only one place"),
            (["strategic", "productivity", "happiness"], "only the six")):
        with pytest.raises(ValueError, match=reason):
            domain.record_pulse(session, cast.stakeholder1,
                                {**base, "driver_ranking": ranking})
    pulse = domain.record_pulse(session, cast.stakeholder1, {
        **base, "driver_ranking": ["strategic", "productivity", "risk_reduction"]})
    assert pulse.driver_ranking == ["strategic", "productivity", "risk_reduction"]


# --------------------------------------------------------------------------- three drivers, read

def test_a_three_driver_ranking_is_read_everywhere(app: Any, session: Session, cast: Any,
                                                   login_as: Any, tmp_path: Path) -> None:
    from valuetracker.models import DRIVERS

    carol = cast.stakeholder1
    make_pulse(session, carol, taken_on=date(2026, 8, 1),
               ranking=["risk_reduction", "cost_reduction", "productivity"])
    make_pulse(session, cast.stakeholder2, taken_on=date(2026, 8, 2), ranking=list(DRIVERS))
    session.commit()

    drift = domain.priority_drift(session, quarters=[parse_quarter("2026-Q3")])["2026-Q3"]
    # Two rankings; the three drivers Carol left out share places 4–6 (average 5).
    assert {d: drift[d].responses for d in DRIVERS} == {d: 2 for d in DRIVERS}
    assert drift["risk_reduction"].average_rank == 2  # 1st and 3rd
    assert drift["revenue_growth"].average_rank == 3  # 1st and left out (5)
    assert drift["productivity"].average_rank == 3.5  # 3rd and 4th
    assert drift["strategic"].average_rank == 5.5  # left out (5) and 6th
    assert drift["revenue_growth"].first_place_share == drift["risk_reduction"] \
        .first_place_share == 0.5
    assert drift["cost_reduction"].first_place_share == 0
    # The average rank of all six drivers is always 3.5, partial rankings or not.
    assert sum(drift[d].average_rank for d in DRIVERS) == 21

    admin = login_as(cast.admin)
    history = admin.get(f"/accounts/{cast.account1.slug}/value/pulses").get_data(as_text=True)
    assert "1. Risk reduction" in history and "3. Productivity" in history
    portfolio = admin.get("/portfolio")
    assert portfolio.status_code == 200

    path = tmp_path / "review.xlsx"
    build_quarter_export(session, quarter=parse_quarter("2026-Q3"), path=path,
                         today=date(2026, 10, 1))
    rows = list(openpyxl.load_workbook(path)["Loyalty"].iter_rows(values_only=True))
    column = rows[0].index("Top value drivers")
    assert "Risk reduction, Cost reduction, Productivity" in [r[column] for r in rows[1:]]
