"""In Chromium: the customer's pages as they receive them. An admin brands the app from
the admin menu, an account manager sends real links, and the customer answers: the
pages carry the company's name, logo and colour and say who asks; the pulse is answered
by tapping the 0–10 button and picking three drivers; on a phone the eleven buttons fit
without scrolling sideways; the survey names its deal. Screenshots of each page are
kept in the test's tmp_path."""

from __future__ import annotations

import io
import re
from datetime import date
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from valuetracker.links import create_link
from valuetracker.models import LoyaltyPulse, ValueConfirmation
from valuetracker.summaries.branding import Branding, save_branding

from .conftest import Cast, browser_login
from .factories import make_deal, make_entry, make_factor, make_guide

COLOR = "#0f766e"
COLOR_RGB = "rgb(15, 118, 110)"
URL_RE = re.compile(r"http://\S+/l/(?:confirm|pulse)/\S+")


@pytest.fixture(autouse=True)
def _branding_dir(app_config: dict[str, Any], tmp_path: Path) -> None:
    app_config["BRANDING_DIR"] = str(tmp_path / "branding")


def _brand_as_admin(page: Page, base: str, tmp_path: Path) -> None:
    """Sign in as the admin, reach Branding from the admin menu and save it with a logo."""
    logo = tmp_path / "logo.png"
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), (15, 118, 110)).save(buffer, "PNG")
    logo.write_bytes(buffer.getvalue())
    browser_login(page, base, "admin@example.com")
    page.get_by_role("link", name="Admin").click()
    page.get_by_role("navigation", name="Admin pages").get_by_role(
        "link", name="Branding").click()
    page.get_by_label("Company name").fill("Northwind Services")
    page.get_by_label("Primary colour").fill(COLOR)
    page.get_by_label("Logo (PNG or JPEG, at most 256 KB)").set_input_files(str(logo))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Branding saved.")).to_be_visible()
    page.context.clear_cookies()


def _send_link(page: Page, base: str, slug: str, what: str, app_config: dict) -> str:
    """As am1, send Carol a link from the account's value page; the URL from the mail."""
    page.goto(f"{base}/accounts/{slug}/value")
    page.get_by_role("link", name=what).click()
    page.get_by_label("Stakeholder").select_option(label="Carol Buyer")
    page.get_by_role("button", name="Send link").click()
    url = page.locator("#link-url").input_value()
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in sorted(Path(app_config["OUTBOX_DIR"]).glob("*.eml"))]
    assert any(url in m.get_body(preferencelist=("plain",)).get_content() for m in mails)
    return url


def _check_branded(page: Page) -> None:
    expect(page.locator("#company-name")).to_have_text("Northwind Services")
    assert "valuetracker" not in page.content().lower()
    assert "valuetracker" not in page.title().lower()
    expect(page.locator(".public-header")).to_have_css("border-top-color", COLOR_RGB)
    logo = page.locator("img.public-logo")
    assert logo.evaluate("img => img.complete && img.naturalWidth") == 120  # served by us
    expect(page.get_by_role("button", name=re.compile("Send"))).to_have_css(
        "background-color", COLOR_RGB)


def _customer(page: Page, **options: Any) -> Page:
    browser: Browser = page.context.browser  # type: ignore[assignment]
    customer = browser.new_context(**options).new_page()
    customer.set_default_timeout(15000)
    return customer


def test_customer_answers_branded_pulse_and_confirmation(
        live_server: str, cast: Cast, session: Session, page: Page, app_config: dict,
        tmp_path: Path) -> None:
    entry = make_entry(session, cast.account1, "4800", title="Faster onboarding",
                       beneficiaries=(cast.stakeholder1,), delivered_on=date.today())
    session.commit()
    _brand_as_admin(page, live_server, tmp_path)
    browser_login(page, live_server, "am1@example.com")
    pulse_url = _send_link(page, live_server, cast.account1.slug, "Send a loyalty pulse",
                           app_config)
    confirm_url = _send_link(page, live_server, cast.account1.slug,
                             "Ask a stakeholder to confirm", app_config)

    # The pulse, in a browser with scripts off: it needs none.
    customer = _customer(page, java_script_enabled=False)
    customer.goto(pulse_url)
    _check_branded(customer)
    expect(customer.locator("#asked-by")).to_have_text(
        "Alice Manager at Northwind Services asks how working with us is going for you at "
        "Acme Corp. It takes a minute.")
    customer.screenshot(path=str(tmp_path / "pulse.png"), full_page=True)

    # A driver twice: the page comes back with the error and every answer kept.
    satisfaction = customer.get_by_role("group", name=re.compile("How satisfied"))
    satisfaction.locator("label", has_text="4").click()
    customer.get_by_label("Would you buy from us again?").select_option("probably")
    customer.locator("label[for=recommend-9]").click()
    nine = customer.get_by_role("radio", name="9")
    expect(nine).to_be_checked()
    # (expect retries: the button's colour fades in over Bootstrap's transition)
    expect(customer.locator("label[for=recommend-9]")).to_have_css("background-color",
                                                                    COLOR_RGB)
    customer.get_by_label("Most important").select_option("risk_reduction")
    customer.get_by_label("Second").select_option("productivity")
    customer.get_by_label("Third").select_option("risk_reduction")
    customer.get_by_label("Anything else?").fill("Answered on the train.")
    customer.get_by_role("button", name="Send my answers").click()
    expect(customer.get_by_text("Each value driver can take only one place.")).to_be_visible()
    expect(customer.get_by_label("Third")).to_have_class(re.compile("is-invalid"))
    expect(nine).to_be_checked()
    expect(customer.get_by_label("Anything else?")).to_have_value("Answered on the train.")
    customer.screenshot(path=str(tmp_path / "pulse-error.png"), full_page=True)
    assert session.exec(select(LoyaltyPulse)).all() == []

    customer.get_by_label("Third").select_option("customer_experience")
    customer.get_by_role("button", name="Send my answers").click()
    expect(customer.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(customer.get_by_text("reached your account team at Northwind Services")) \
        .to_be_visible()
    _check_thanks_branded(customer)
    customer.screenshot(path=str(tmp_path / "thanks.png"), full_page=True)
    session.expire_all()
    pulse = session.exec(select(LoyaltyPulse)).one()
    assert (pulse.recommend, pulse.satisfaction, pulse.repurchase_intent) == (9, 4, "probably")
    assert pulse.driver_ranking == ["risk_reduction", "productivity", "customer_experience"]
    assert pulse.comment == "Answered on the train." and pulse.method == "link"
    customer.goto(pulse_url)
    expect(customer.get_by_text("already answered")).to_be_visible()
    assert "valuetracker" not in customer.content().lower()
    customer.context.close()

    # The confirmation link, the same branding and who asks.
    customer = _customer(page)
    customer.goto(confirm_url)
    _check_branded(customer)
    expect(customer.locator("#asked-by")).to_contain_text(
        "Alice Manager at Northwind Services asks whether the value below")
    customer.screenshot(path=str(tmp_path / "confirm.png"), full_page=True)
    customer.get_by_label("Yes, that is right").check()
    customer.get_by_role("button", name="Send my answers").click()
    expect(customer.get_by_role("heading", name="Thank you")).to_be_visible()
    customer.context.close()
    session.expire_all()
    confirmation = session.exec(select(ValueConfirmation)).one()
    assert (confirmation.entry_id, confirmation.response) == (entry.id, "confirmed")


def _check_thanks_branded(page: Page) -> None:
    expect(page.locator("#company-name")).to_have_text("Northwind Services")
    assert "valuetracker" not in page.content().lower()


def test_on_a_phone_the_eleven_buttons_fit(live_server: str, app: Any, cast: Cast,
                                           session: Session, page: Page,
                                           tmp_path: Path) -> None:
    save_branding(session, Branding("Northwind Services", COLOR, None))
    with app.test_request_context():
        _link, token = create_link(session, "pulse", stakeholder_id=cast.stakeholder1.id,
                                   account_id=cast.account1.id, created_by_id=cast.am1.id)
    session.commit()
    phone = _customer(page, viewport={"width": 375, "height": 740}, is_mobile=True,
                      has_touch=True, device_scale_factor=2)
    phone.goto(f"{live_server}/l/pulse/{token}")
    phone.screenshot(path=str(tmp_path / "pulse-phone.png"), full_page=True)
    # Nothing makes the page scroll sideways.
    widths = phone.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1] == 375, widths
    buttons = phone.locator("#recommend label.btn")
    assert buttons.count() == 11
    rows = set()
    for i in range(11):
        box = buttons.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, (i, box)
        assert box["width"] >= 44 and box["height"] >= 44, (i, box)  # a finger's tap
        rows.add(round(box["y"]))
    assert len(rows) == 2  # 0–5 and 6–10: the row wraps
    # Accessible names say what the ends mean.
    expect(phone.get_by_role("radio", name="0 — not at all likely")).to_have_count(1)
    expect(phone.get_by_role("radio", name="10 — extremely likely")).to_have_count(1)
    phone.locator("label[for=recommend-10]").tap()
    expect(phone.get_by_role("radio", name="10 — extremely likely")).to_be_checked()
    expect(phone.locator("label[for=recommend-10]")).to_have_css("background-color",
                                                                  COLOR_RGB)
    phone.context.close()


def test_survey_page_names_its_deal(live_server: str, app: Any, cast: Cast, session: Session,
                                    page: Page, tmp_path: Path) -> None:
    make_guide(session, "lost", factor=make_factor(session, "Price"))
    deal = make_deal(session, cast.account1, "lost", date(2026, 10, 5),
                     name="Acme data platform", owner_id=cast.am2.id)
    save_branding(session, Branding("Northwind Services", COLOR, None))
    session.commit()
    with app.test_request_context():
        _link, token = create_link(session, "buyer_survey", deal_id=deal.id,
                                   account_id=cast.account1.id,
                                   stakeholder_id=cast.stakeholder1.id)
    session.commit()
    buyer = _customer(page)
    buyer.goto(f"{live_server}/s/{token}")
    expect(buyer.locator("#survey-deal")).to_have_text("Acme data platform")
    # The account's manager asks (who signs the survey's mail), not the deal's owner.
    expect(buyer.locator("#asked-by")).to_have_text(
        "Alice Manager at Northwind Services asks about your decision on Acme data platform "
        "(October 2026).")
    assert "valuetracker" not in buyer.content().lower()
    buyer.screenshot(path=str(tmp_path / "survey.png"), full_page=True)
    buyer.context.close()
