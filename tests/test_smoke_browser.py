"""In headless Chromium, on the demo installation: every role signs in and opens every
page of its navigation; each answers 200 without a console error. Plus the phone layout
(390px) of the pages with charts and wide tables."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from valuetracker.demo import seed_demo
from valuetracker.demo.core import DEMO_PASSWORD

from .conftest import browser_login

# What each demo role sees in the navigation (templating.NAV, filtered by role).
NAV_BY_ROLE = {
    "admin@demo.example": ["My work", "Tasks", "Accounts", "Stakeholders", "Value", "Portfolio",
                           "Deals", "Interviews", "Win/loss", "Coverage", "Exports", "Import",
                           "Admin"],
    "leader@demo.example": ["My work", "Tasks", "Accounts", "Stakeholders", "Value", "Portfolio",
                            "Deals", "Interviews", "Win/loss", "Coverage", "Exports"],
    "analyst@demo.example": ["My work", "Tasks", "Accounts", "Stakeholders", "Value", "Portfolio",
                             "Deals", "Interviews", "Win/loss", "Coverage", "Import"],
    "maria@demo.example": ["My work", "Tasks", "Accounts", "Stakeholders", "Value", "Portfolio",
                           "Deals", "Coverage", "Exports", "Import"],
    "tom@demo.example": ["My work", "Tasks", "Accounts", "Stakeholders", "Value", "Portfolio",
                         "Deals", "Coverage", "Exports", "Import"],
}


@pytest.fixture
def demo(live_server: str, session: Session) -> str:
    """The live server, filled with the demo installation (same database)."""
    seed_demo(session)
    session.commit()
    return live_server


def _watch_console(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


@pytest.mark.parametrize("email", sorted(NAV_BY_ROLE))
def test_every_role_opens_every_nav_page(demo: str, page: Any, email: str) -> None:
    errors = _watch_console(page)
    browser_login(page, demo, email, DEMO_PASSWORD)
    nav = page.locator("#nav a.nav-link")
    assert nav.all_inner_texts() == NAV_BY_ROLE[email]
    hrefs = [a.get_attribute("href") for a in nav.all()]
    for href in hrefs:
        response = page.goto(demo + href)
        assert response is not None and response.status == 200, href
        assert "Internal Server Error" not in page.content(), href
    assert errors == []


@pytest.mark.parametrize("path", ["/analytics", "/portfolio", "/deals", "/admin/audit"])
def test_phone_layout_has_no_sideways_page_scroll_and_readable_charts(
        demo: str, page: Any, path: str) -> None:
    """QA: at 390px, 640-wide SVG charts shrank to ~5px labels. Charts and tables now keep
    their size and scroll inside their card; the page itself never scrolls sideways."""
    errors = _watch_console(page)
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, demo, "admin@demo.example", DEMO_PASSWORD)
    assert page.goto(demo + path).status == 200
    layout = page.evaluate("""() => ({
        page: document.documentElement.scrollWidth, viewport: window.innerWidth,
        charts: [...document.querySelectorAll('main svg.chart')].map(
            s => s.getBoundingClientRect().width)})""")
    assert layout["page"] <= layout["viewport"]
    assert all(width >= 540 for width in layout["charts"]), layout["charts"]
    assert errors == []


def test_the_user_menu_opens_settings_and_signs_out(demo: str, page: Any) -> None:
    browser_login(page, demo, "maria@demo.example", DEMO_PASSWORD)
    menu = page.locator("#user-menu")
    menu.get_by_role("button", name="Maria Lopez").click()
    assert "maria@demo.example · Account manager" in menu.inner_text()
    menu.get_by_role("link", name="API tokens").click()
    page.wait_for_url("**/settings/api-tokens")
    menu = page.locator("#user-menu")
    menu.get_by_role("button", name="Maria Lopez").click()
    menu.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    assert page.goto(demo + "/tasks").url.endswith("/login?next=%2Ftasks")


def test_top_bar_fits_a_laptop_screen(demo: str, page: Any) -> None:
    """QA: at 1280px the admin's twelve areas, the search box, saved views, notifications and
    the user's menu shared one row: the search box shrank to a sliver and the user's menu ran
    off the screen. Every tool and every area link now lies inside the viewport."""
    page.set_viewport_size({"width": 1280, "height": 800})
    browser_login(page, demo, "admin@demo.example", DEMO_PASSWORD)
    assert page.goto(demo + "/portfolio").status == 200
    boxes = page.evaluate("""() => [...document.querySelectorAll(
            'nav input[type=search], #notifications-menu, #user-menu > button, #nav a.nav-link')]
        .map(el => { const r = el.getBoundingClientRect();
                     return {name: el.textContent.trim() || el.name, left: r.left,
                             right: r.right, width: r.width}; })""")
    assert len(boxes) == 3 + len(NAV_BY_ROLE["admin@demo.example"])
    for box in boxes:
        assert 0 <= box["left"] and box["right"] <= 1280, box
    search = next(box for box in boxes if box["name"] == "q")
    assert search["width"] >= 200, search
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
