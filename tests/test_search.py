"""Search: the database's full-text index, kept current by triggers whatever the write
path, scoped as every list, ranked and highlighted; the page and the header's box."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlmodel import Session

from valuetracker import personal_data, search, stakeholders
from valuetracker import value as domain
from valuetracker.imports import run_import

from .conftest import browser_login, login
from .factories import make_deal, make_entry, make_interview, make_quote, make_stakeholder
from .factories.csv_files import csv_bytes
from .rendered import page_html, rendered_forms


def _found(session: Session, user: Any, text: str) -> dict[str, list[str]]:
    """{kind: [plain titles]} of what `text` finds for `user`."""
    results = search.search(session, user, text)
    return {g.kind: [h.title.striptags() for h in g.hits] for g in results.groups}


def _index(session: Session) -> list[tuple[Any, ...]]:
    if session.get_bind().dialect.name == "postgresql":
        sql = "SELECT kind, ref_id, title, body FROM search_document ORDER BY kind, ref_id"
    else:
        sql = "SELECT rowid, kind, title, body FROM search_index ORDER BY rowid"
    return [tuple(row) for row in session.execute(sa.text(sql)).all()]


def test_finds_people_by_name_title_and_email_prefix_highlighted(
        session: Session, cast: Any) -> None:
    make_stakeholder(session, cast.account1, "Grace Lopez", title="VP Operations",
                     email="zed@acme.example")
    session.commit()
    assert _found(session, cast.am1, "gra")["stakeholder"] == ["Grace Lopez"]
    assert _found(session, cast.am1, "operations")["stakeholder"] == ["Grace Lopez"]
    assert _found(session, cast.am1, "zed")["stakeholder"] == ["Grace Lopez"]
    # Every word must match.
    assert _found(session, cast.am1, "grace lop") == {"stakeholder": ["Grace Lopez"]}
    assert _found(session, cast.am1, "grace nobody") == {}
    hit = search.search(session, cast.am1, "grace").groups[0].hits[0]
    assert "<mark>Grace</mark>" in hit.title and hit.context == "Acme Corp"
    assert (hit.endpoint, hit.values) == ("stakeholders.show", {"stakeholder_id": hit.id})


def test_every_kind_is_found_and_grouped_in_order(session: Session, cast: Any) -> None:
    entry = make_entry(session, cast.account1, "900", title="Zephyr rollout",
                       description="Cut the zephyr backlog")
    domain.create_commitment(session, cast.account1, {
        "title": "Zephyr phase two", "driver": "productivity", "expected_amount": None,
        "unit": "currency", "due_on": entry.delivered_on, "status": "planned"}, user=cast.am1)
    deal = make_deal(session, cast.account1, "lost", name="Zephyr platform", product="Zephyr")
    interview = make_interview(session, deal, cast.stakeholder1, notes="Zephyr was late")
    make_quote(session, interview, "Zephyr pricing confused us")
    session.commit()
    results = search.search(session, cast.analyst, "zephyr")
    assert [g.kind for g in results.groups] == ["deal", "value_entry", "commitment", "quote",
                                               "interview"]
    assert results.total == 5
    # Account managers never search interviews or quotes (interviewees may be anonymous).
    assert set(_found(session, cast.am1, "zephyr")) == {"deal", "value_entry", "commitment"}


def test_scoped_to_the_users_accounts(session: Session, cast: Any) -> None:
    make_stakeholder(session, cast.account2, "Quentin Globex")
    make_deal(session, None, "won", name="Quentin side deal", owner_id=cast.am2.id)
    session.commit()
    assert _found(session, cast.am1, "quentin") == {}
    assert _found(session, cast.am2, "quentin") == {"stakeholder": ["Quentin Globex"],
                                                    "deal": ["Quentin side deal"]}
    assert _found(session, cast.leader, "quentin")["stakeholder"] == ["Quentin Globex"]


def test_ranked_title_matches_before_body_matches(session: Session, cast: Any) -> None:
    make_entry(session, cast.account1, "1", title="Other thing",
               description="mentions the quasar project")
    make_entry(session, cast.account1, "2", title="Quasar project")
    session.commit()
    assert _found(session, cast.am1, "quasar")["value_entry"] == ["Quasar project",
                                                                 "Other thing"]


def test_the_index_follows_every_write_path(app: Any, session: Session, cast: Any) -> None:
    person = make_stakeholder(session, cast.account1, "Nina Costa", email="nina@acme.example")
    entry = make_entry(session, cast.account1, "5", title="Warehouse win")
    session.commit()
    stakeholders.update_stakeholder(session, person, data={"name": "Nina Ferreira",
                                                           "email": "nina@acme.example"},
                                    expected_version=person.version, user=cast.am1)
    session.commit()
    assert _found(session, cast.am1, "costa") == {}
    assert _found(session, cast.am1, "ferreira")["stakeholder"] == ["Nina Ferreira"]

    domain.delete_entry(session, entry, user=cast.am1)
    session.commit()
    assert _found(session, cast.am1, "warehouse") == {}

    with app.app_context():
        personal_data.erase_stakeholder(session, person)
        session.commit()
    assert _found(session, cast.am1, "nina") == {}

    # A bulk import (one INSERT for many rows) is searchable at once.
    run_import(session, "stakeholders", csv_bytes(
        ["account", "name", "email"], [["Acme Corp", "Orla Import", "orla@acme.example"]]),
        actor=cast.am1)
    session.commit()
    assert _found(session, cast.am1, "orla")["stakeholder"] == ["Orla Import"]

    # A rebuild from the rows gives exactly what the triggers kept.
    kept = _index(session)
    assert search.rebuild_index(session) == len(kept) > 0
    session.commit()
    assert _index(session) == kept


def test_text_is_escaped_and_odd_queries_are_harmless(session: Session, cast: Any) -> None:
    make_stakeholder(session, cast.account1, "<b>Bold</b> Hacker")
    session.commit()
    hit = search.search(session, cast.am1, "hacker").groups[0].hits[0]
    assert "<b>" not in hit.title and "&lt;b&gt;" in hit.title and "<mark>" in hit.title
    for text in ('"', "AND", "NOT OR", "*", "a:b", "(", "-x", "'; DROP", "\x00", "   "):
        search.search(session, cast.am1, text)  # no SQL or FTS syntax error
    assert search.query_words("one two three four five six seven eight nine") == [
        "one", "two", "three", "four", "five", "six", "seven", "eight"]


def test_the_page_and_the_header_box(client: FlaskClient, session: Session,
                                     cast: Any) -> None:
    make_stakeholder(session, cast.account1, "Grace Lopez", title="VP Operations")
    for n in range(12):
        make_entry(session, cast.account1, "1", title=f"Grace period {n}")
    session.commit()
    login(client, cast.am1)
    accounts_page = client.get("/accounts").get_data(as_text=True)
    box = next(f for f in rendered_forms(accounts_page) if f.action == "/search")
    assert box.method == "get"
    page = client.get(box.action, query_string=box.data(q="grace"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "13 results" in html and "<mark>Grace</mark> Lopez" in html
    assert 'href="/stakeholders/' in html
    assert "All 12 value entries" in html  # ten shown, the rest one click away
    more = client.get("/search", query_string={"q": "grace", "kind": "value_entry"})
    assert more.get_data(as_text=True).count("search-hit") == 12

    odd = client.get("/search", query_string={"q": "grace", "kind": "nonsense"})
    assert "There is no kind “nonsense”" in odd.get_data(as_text=True)
    long = client.get("/search", query_string={"q": "grace " + "x" * 300})
    assert long.status_code == 200 and "first 200 characters" in long.get_data(as_text=True)
    assert "Nothing you can see matches" in client.get(
        "/search?q=zzzz").get_data(as_text=True)
    assert client.get("/search").status_code == 200
    client.post("/logout")
    assert client.get("/search?q=grace").status_code == 302  # signed in only


@pytest.mark.parametrize("who", ["am1", "leader"])
def test_search_in_the_browser(live_server: str, page: Any, session: Session,
                               cast: Any, who: str) -> None:
    """An account manager, and a leader, type a person's name and land on them."""
    make_stakeholder(session, cast.account1, "Grace Lopez", title="VP Operations")
    session.commit()
    browser_login(page, live_server, getattr(cast, who).email)
    page.get_by_role("searchbox", name="Search accounts, people, deals, value").fill("grac")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=grac")
    page.get_by_role("link", name="Grace Lopez").click()
    page.wait_for_url("**/stakeholders/*")
    assert "Grace Lopez" in page.content()


def test_rebuild_command(runner: Any, session: Session, cast: Any) -> None:
    make_stakeholder(session, cast.account1, "Grace Lopez")
    session.commit()
    search.clear_index(session.connection())  # as a load that went around the triggers
    session.commit()
    assert _found(session, cast.am1, "grace") == {}
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    rows = len(_index(session))
    assert result.output.strip() == f"The search index holds {rows} rows."
    assert _found(session, cast.am1, "grace") == {"stakeholder": ["Grace Lopez"]}


def test_the_api_search_answers_as_the_page(client: FlaskClient, session: Session,
                                            cast: Any) -> None:
    """/api/v1/search: the same groups, totals and order as `/search?q=`, scoped to the
    token's user, the matches highlighted (escaped) and the page each opens."""
    from valuetracker import api_tokens

    grace = make_stakeholder(session, cast.account1, "Grace <b>Lopez</b>", title="VP")
    make_stakeholder(session, cast.account2, "Grace Hopper")
    session.commit()
    _row, token = api_tokens.create_token(session, cast.am1, name="search", scope="read")
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    answer = client.get("/api/v1/search", query_string={"q": "grace"}, headers=headers)
    assert answer.status_code == 200
    body = answer.json
    [people] = [g for g in body["groups"] if g["kind"] == "stakeholder"]
    assert people["total"] == 1  # am1 does not see Globex's Grace Hopper
    [hit] = people["items"]
    assert hit["id"] == grace.id and hit["title"] == "Grace <b>Lopez</b>"
    assert hit["title_html"] == "<mark>Grace</mark> &lt;b&gt;Lopez&lt;/b&gt;"
    assert hit["url"] == f"/stakeholders/{grace.id}"
    one_kind = client.get("/api/v1/search", query_string={"q": "grace", "kind": "nope"},
                          headers=headers)
    assert one_kind.status_code == 422
    assert [e["field"] for e in one_kind.json["errors"]] == ["kind"]
    assert client.get("/api/v1/search?q=grace").status_code == 401
    spec = client.get("/api/v1/openapi.json").json
    assert "/api/v1/search" in spec["paths"]


def test_the_search_box_is_on_every_area_s_pages(client: FlaskClient, session: Session,
                                                 cast: Any) -> None:
    """The header's box, on the pages of every area a leader opens."""
    login(client, cast.leader)
    pages = ["/", "/accounts", f"/accounts/{cast.account1.slug}",
             f"/accounts/{cast.account1.slug}/value", f"/stakeholders/{cast.stakeholder1.id}",
             "/stakeholders", "/deals", "/interviews", "/quotes", "/analytics", "/value",
             "/commitments", "/portfolio", "/summaries/coverage", "/tasks", "/signals",
             "/views", "/notifications"]
    for url in pages:
        html = page_html(client, url)
        boxes = [f for f in rendered_forms(html) if f.action == "/search" and "q" in f.names]
        assert len(boxes) == 1 and boxes[0].method == "get", url


def test_words_like_the_index_kind_codes_find_only_their_rows(
        session: Session, cast: Any) -> None:
    # The index keeps each row's kind as a term ("k2", "k4"); a query word that looks like
    # one must still find only the rows whose own text has it.
    make_stakeholder(session, cast.account1, "Kai K4ne", title="Keeper")
    make_stakeholder(session, cast.account1, "Mia Stone", title="Analyst")
    make_entry(session, cast.account1, "10", title="K4 rollout")
    make_entry(session, cast.account1, "20", title="Other rollout")
    session.commit()
    assert _found(session, cast.am1, "k4") == {"stakeholder": ["Kai K4ne"],
                                               "value_entry": ["K4 rollout"]}
    found = _found(session, cast.am1, "k")
    assert "Kai K4ne" in found["stakeholder"] and "Mia Stone" not in found["stakeholder"]
    assert "K4 rollout" in found["value_entry"]
    assert "Other rollout" not in found["value_entry"]
    assert _found(session, cast.am1, "k2") == {}
    assert search.search(session, cast.am1, "rollout").groups[0].total == 2


def test_a_kind_s_total_counts_every_visible_match_and_shows_its_best(
        session: Session, cast: Any) -> None:
    # More matches than a group shows: the total counts every one the user may see, the
    # hits are the best `per_kind` (title matches first, then the newest), each with its
    # own kind's context; another account's match is neither counted nor shown.
    older = make_entry(session, cast.account1, "1", title="Nimbus one",
                       delivered_on=date(2026, 9, 1))
    newer = make_entry(session, cast.account1, "2", title="Nimbus two",
                       delivered_on=date(2026, 9, 2))
    make_entry(session, cast.account1, "3", title="Other one", description="about nimbus")
    body = make_entry(session, cast.account1, "4", title="Other two",
                      description="about nimbus")
    make_entry(session, cast.account2, "5", title="Nimbus elsewhere")
    domain.create_commitment(session, cast.account1, {
        "title": "Nimbus phase two", "driver": "productivity", "expected_amount": None,
        "unit": "currency", "due_on": date(2027, 1, 31), "status": "planned"},
        user=cast.am1)
    session.commit()
    results = search.search(session, cast.am1, "nimbus", per_kind=3)
    entries, commitments = results.groups
    assert (entries.kind, entries.total, commitments.kind, commitments.total) == (
        "value_entry", 4, "commitment", 1)
    assert [h.id for h in entries.hits] == [newer.id, older.id, body.id]
    assert entries.hits[1].context == "Acme Corp · 2026-09-01"
    assert "about <mark>nimbus</mark>" in entries.hits[2].snippet
    assert entries.hits[0].values == {"slug": cast.account1.slug,
                                      "_anchor": f"entry-{newer.id}"}
    assert commitments.hits[0].context == "Acme Corp · due 2027-01-31"
    assert results.total == 5
    assert search.search(session, cast.am2, "nimbus").total == 1
