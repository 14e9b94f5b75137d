"""The interview queue: open requests first, then newest first, across pages and filters."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from valuetracker.models import Deal, WinLossInterview
from valuetracker.winloss.interview_stats import program_scorecard
from valuetracker.winloss.interviews import list_interviews

from .conftest import get_statements
from .factories import make_deal, make_interview, make_user

OPEN = ("requested", "scheduled")
STATUSES = ("completed", "requested", "declined", "scheduled", "no_response", "requested",
            "completed", "scheduled", "requested", "declined", "completed")


@pytest.fixture
def queue(session: Any, cast: Any) -> list[WinLossInterview]:
    """Eleven interviews on both accounts; requested_at repeats, so ids break the ties."""
    interviewer = make_user(session, "analyst", name="Ivy Interviewer")
    start = datetime(2026, 5, 1, 9, tzinfo=UTC)
    interviews = []
    for n, status in enumerate(STATUSES):
        account = cast.account1 if n % 2 else cast.account2
        deal = make_deal(session, account, "lost", name=f"Queue deal {n:02d}")
        interviews.append(make_interview(
            session, deal, None, status=status, contact_name=f"Contact {n:02d}",
            interviewer_id=interviewer.id, requested_at=start + timedelta(days=n % 4)))
    session.commit()
    return interviews


def _expected(interviews: list[WinLossInterview]) -> list[int]:
    ordered = sorted(interviews, key=lambda i: (i.status not in OPEN,
                                                -i.requested_at.timestamp(), -i.id))
    return [i.id for i in ordered]


def _ids(page: Any) -> list[int]:
    return [row["interview"].id for row in page.items]


def test_pages_follow_one_order_without_gaps_or_repeats(session: Any,
                                                        queue: list[WinLossInterview]) -> None:
    pages = [list_interviews(session, page=n, size=4) for n in (1, 2, 3)]
    assert [(p.number, p.total, p.pages) for p in pages] == [(1, 11, 3), (2, 11, 3),
                                                             (3, 11, 3)]
    assert [i for p in pages for i in _ids(p)] == _expected(queue)
    assert {row["interview"].status for row in pages[0].items} <= set(OPEN)
    row = pages[0].items[0]
    assert row["deal"].name.startswith("Queue deal") and row["interviewer"] == "Ivy Interviewer"
    assert row["account"] in ("Acme Corp", "Globex") and row["interviewee"].startswith("Contact")
    # A page past the end shows the last page.
    assert _ids(list_interviews(session, page=99, size=4)) == _ids(pages[2])


def test_status_and_account_filters(session: Any, cast: Any,
                                    queue: list[WinLossInterview]) -> None:
    requested = list_interviews(session, status="requested", size=2)
    assert requested.total == 3
    assert _ids(requested) == _expected([i for i in queue if i.status == "requested"])[:2]
    acme = list_interviews(session, account_id=cast.account1.id, size=50)
    assert acme.total == 5 and {row["account"] for row in acme.items} == {"Acme Corp"}
    assert _ids(acme) == _expected(queue[1::2])  # the fixture puts odd ones on Acme
    both = list_interviews(session, status="completed", account_id=cast.account2.id)
    assert both.total == 3 and {row["interview"].status for row in both.items} == {
        "completed"}


def test_queue_page_renders_in_order_with_a_bounded_number_of_queries(
        app: Any, session: Any, cast: Any, login_as: Any,
        queue: list[WinLossInterview]) -> None:
    client = login_as(cast.analyst)
    body = client.get("/interviews").get_data(as_text=True)
    positions = [body.index(f"/interviews/{i}\"") for i in _expected(queue)]
    assert positions == sorted(positions)
    statements = get_statements(app, client, "/interviews?status=requested&page=2",
                                without_menu=True)
    # The user, one COUNT on the interviews alone, one page with its joins; and the data
    # versions the menu's kept count and saved views are keyed by.
    assert len(statements) == 4 and "FROM data_version" in statements[3]
    assert "JOIN" not in statements[1].upper()


def test_answered_and_timed_filters_hold_the_scorecards_interviews(
        session: Any, queue: list[WinLossInterview]) -> None:
    """`status=answered` is the response rate's interviews, `status=timed` those the
    median days to interview is over (a completed interview with no completion day is not
    one of them); each list holds as many as the scorecard counts."""
    completed = [i for i in queue if i.status == "completed"]
    for n, interview in enumerate(completed):
        interview.completed_at = None if n == 0 else datetime(2026, 6, 1 + n, 12, tzinfo=UTC)
    session.commit()
    answered = list_interviews(session, status="answered", size=50)
    assert sorted(_ids(answered)) == sorted(
        i.id for i in queue if i.status in ("completed", "declined", "no_response"))
    timed = list_interviews(session, status="timed", size=50)
    assert sorted(_ids(timed)) == sorted(i.id for i in completed[1:])
    card = program_scorecard(session)
    assert (card.answered, card.timed) == (answered.total, timed.total) == (6, 2)


def test_the_status_menu_offers_answered_and_timed_as_the_figures_link_them(
        session: Any, cast: Any, queue: list[WinLossInterview], login_as: Any) -> None:
    """The response rate's link (`status=answered`) opens the list with "Answered" chosen
    in the status menu; choosing "Timed" there and pressing Filter, as the form renders,
    keeps the other filters and lists the median's interviews."""
    from urllib.parse import urlencode

    from .rendered import page_html, page_text, rendered_forms

    completed = [i for i in queue if i.status == "completed"]
    for n, interview in enumerate(completed):
        interview.completed_at = datetime(2026, 6, 1 + n, 12, tzinfo=UTC)
        session.get(Deal, interview.deal_id).closed_on = datetime(2026, 5, 20).date()
    session.commit()
    client = login_as(cast.leader)
    html = page_html(client, f"/interviews?status=answered&account={cast.account2.id}")
    assert "isn't a value" not in page_text(html)
    [form] = [f for f in rendered_forms(html) if f.method == "get" and "status" in f.names]
    assert form.value("status") == "answered"
    assert form.value("account") == str(cast.account2.id)
    query = urlencode(list(form.data(status="timed").items(multi=True)))
    timed = page_html(client, f"{form.action}?{query}")
    [again] = [f for f in rendered_forms(timed) if f.method == "get" and "status" in f.names]
    assert again.value("status") == "timed"
    expected = {i.id for i in completed
                if session.get(Deal, i.deal_id).account_id == cast.account2.id}
    shown = {int(n) for n in re.findall(r'href="/interviews/(\d+)"', timed)}
    assert shown == expected and expected
