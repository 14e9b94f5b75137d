"""The merged timeline: logged activities and what the system recorded (value answers,
pulses, links answered, summaries sent, deals closed, interviews completed), newest
first, filtered by type and paged in SQL; the person's timeline; who sees the program's
interviews; and a person's activities in their export and erasure."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import select

from valuetracker.activities import Scope, timeline_page
from valuetracker.models import (
    AccessLink,
    Activity,
    ActivityStakeholder,
    Distribution,
    Stakeholder,
    WinLossInterview,
)

from .factories import (
    make_activity,
    make_confirmation,
    make_deal,
    make_entry,
    make_interview,
    make_pulse,
    make_stakeholder,
    make_summary,
)
from .rendered import page_form


def _at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 9, day, hour, tzinfo=UTC)


def _world(session: Any, cast: Any) -> dict[str, Any]:
    """account1 in September 2026: one event of every kind, each on its own day."""
    account, carol = cast.account1, cast.stakeholder1
    ed = make_stakeholder(session, account, "Ed Engineer")
    make_activity(session, account, kind="call", occurred_on=date(2026, 9, 1),
                  summary="Kick-off call", people=(carol, ed), author=cast.am1,
                  outcome="Agreed the plan")
    make_activity(session, account, kind="note", occurred_on=date(2026, 9, 3),
                  summary="Budget freeze rumoured", author=cast.am1)
    entry = make_entry(session, account, title="Faster invoicing")
    make_confirmation(session, entry, carol, "Matches our numbers",
                      responded_at=_at(4))
    make_confirmation(session, entry, ed, "Too high", response="disputed",
                      responded_at=_at(5))
    make_pulse(session, carol, taken_on=date(2026, 9, 6))
    session.add(AccessLink(nonce="n1", purpose="pulse", stakeholder_id=carol.id,
                           account_id=account.id, expires_at=_at(30), used_at=_at(7)))
    summary = make_summary(session, carol, quarter="2026-Q3", status=None)
    session.add(Distribution(summary_id=summary.id, recipient=carol.email, status="sent",
                             sent_at=_at(8)))
    deal = make_deal(session, account, outcome="won", closed_on=date(2026, 9, 9),
                     name="Fleet expansion")
    named = make_interview(session, deal, carol, status="completed", anonymity="named",
                           completed_at=_at(10))
    hidden = make_interview(session, deal, ed, status="completed", anonymity="anonymized",
                            completed_at=_at(11))
    make_activity(session, account, kind="meeting", occurred_on=date(2026, 9, 12),
                  summary="QBR", people=(ed,), author=cast.am1)
    # Another account's events never show.
    make_activity(session, cast.account2, occurred_on=date(2026, 9, 2),
                  summary="Globex call", people=(cast.stakeholder2,))
    session.commit()
    return {"ed": ed, "named": named, "hidden": hidden}


def _lines(page: str) -> list[tuple[str, str, str]]:
    """(day, kind, title) of every timeline line of a page, top to bottom."""
    found = re.findall(r'data-kind="([a-z_]+)">.*?<time datetime="([\d-]+)">.*?'
                       r'class="timeline-title[^"]*">([^<]*)<', page, re.S)
    return [(day, kind, title.strip()) for kind, day, title in found]


EVERYTHING = [
    ("2026-09-12", "meeting", "QBR"),
    ("2026-09-11", "interview", "Win/loss interview completed: Fleet expansion"),
    ("2026-09-10", "interview", "Win/loss interview completed: Fleet expansion"),
    ("2026-09-09", "deal", "Deal won: Fleet expansion"),
    ("2026-09-08", "summary", "Value summary 2026-Q3 sent"),
    ("2026-09-07", "link", "Answered the loyalty pulse link"),
    ("2026-09-06", "pulse", "Loyalty pulse: satisfaction 4 of 5, recommend 9 of 10"),
    ("2026-09-05", "confirmation", "Disputed “Faster invoicing”"),
    ("2026-09-04", "confirmation", "Confirmed “Faster invoicing”"),
    ("2026-09-03", "note", "Budget freeze rumoured"),
    ("2026-09-01", "call", "Kick-off call"),
]


def test_account_timeline_merges_every_kind_newest_first(login_as: Any, cast: Any,
                                                         session: Any) -> None:
    _world(session, cast)
    page = login_as(cast.analyst).get(f"/accounts/{cast.account1.slug}/timeline")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert _lines(html) == EVERYTHING
    assert "Globex call" not in html
    assert "with Carol Buyer, Ed Engineer" in re.sub(r"<[^>]+>", "", html)  # the call's people
    assert "Agreed the plan" in html and "Too high" in html  # outcome, their words
    assert "11 events" in html


def test_account_managers_do_not_see_the_programs_interviews(login_as: Any, cast: Any,
                                                             session: Any) -> None:
    _world(session, cast)
    html = login_as(cast.am1).get(f"/accounts/{cast.account1.slug}/timeline"
                                  ).get_data(as_text=True)
    assert _lines(html) == [line for line in EVERYTHING if line[1] != "interview"]
    assert 'value="interview"' not in html  # nor as a type to filter by


def test_type_filter(login_as: Any, cast: Any, session: Any) -> None:
    _world(session, cast)
    client = login_as(cast.am1)
    url = f"/accounts/{cast.account1.slug}/timeline"
    html = client.get(url + "?type=confirmation").get_data(as_text=True)
    assert [line[1] for line in _lines(html)] == ["confirmation", "confirmation"]
    html = client.get(url + "?type=logged").get_data(as_text=True)
    assert [line[1] for line in _lines(html)] == ["meeting", "note", "call"]
    assert '<option value="logged" selected>' in html
    # An unknown type (or one the user may not see) shows everything.
    assert len(_lines(client.get(url + "?type=interview").get_data(as_text=True))) == 9
    assert len(_lines(client.get(url + "?type=bogus").get_data(as_text=True))) == 9


def test_paged_in_order_with_the_filter_kept(app: Any, login_as: Any, cast: Any,
                                             session: Any) -> None:
    _world(session, cast)
    app.config["PAGE_SIZE"] = 4
    client = login_as(cast.analyst)
    url = f"/accounts/{cast.account1.slug}/timeline"
    seen = []
    for number in (1, 2, 3):
        html = client.get(f"{url}?page={number}").get_data(as_text=True)
        seen += _lines(html)
        assert f"Page {number} of 3 · 11 in all" in html
    assert seen == EVERYTHING
    app.config["PAGE_SIZE"] = 2
    html = client.get(f"{url}?type=logged&page=2").get_data(as_text=True)
    assert _lines(html) == [("2026-09-01", "call", "Kick-off call")]
    assert f'href="{url}?type=logged&amp;page=1"' in html  # the pager keeps the filter


def test_paging_is_done_by_the_database(app: Any, cast: Any, session: Any) -> None:
    """A page reads one page of rows, whatever the timeline's length."""
    _world(session, cast)
    with app.test_request_context():
        page = timeline_page(session, Scope(account_id=cast.account1.id, user=cast.admin),
                             slug=cast.account1.slug, number=2, size=3)
    assert page.total == 11 and len(page.items) == 3
    assert [e.on.day for e in page.items] == [9, 8, 7]


def test_a_persons_timeline(login_as: Any, cast: Any, session: Any) -> None:
    """Ed's: the call and the meeting he was in, his dispute; the anonymized interview
    he gave is never on his page (not even for the program), and the deal is nobody's."""
    made = _world(session, cast)
    ed = made["ed"]
    html = login_as(cast.analyst).get(f"/stakeholders/{ed.id}/timeline").get_data(as_text=True)
    assert _lines(html) == [("2026-09-12", "meeting", "QBR"),
                            ("2026-09-05", "confirmation", "Disputed “Faster invoicing”"),
                            ("2026-09-01", "call", "Kick-off call")]
    carol = login_as(cast.analyst).get(f"/stakeholders/{cast.stakeholder1.id}/timeline"
                                       ).get_data(as_text=True)
    kinds = [line[1] for line in _lines(carol)]
    assert kinds == ["interview", "summary", "link", "pulse", "confirmation", "call"]
    # The person's page shows the newest few, with a link to the whole timeline.
    show = login_as(cast.am1).get(f"/stakeholders/{ed.id}").get_data(as_text=True)
    assert "QBR" in show and f"/stakeholders/{ed.id}/timeline" in show
    assert f"activities/new?with={ed.id}" in show


def test_account_page_shows_recent_activity(login_as: Any, cast: Any, session: Any) -> None:
    _world(session, cast)
    html = login_as(cast.am1).get(f"/accounts/{cast.account1.slug}").get_data(as_text=True)
    panel = html.split('class="card mb-3 activity-panel"', 1)[1].split("</ol>", 1)[0]
    assert [line[1] for line in _lines(panel)] == ["meeting", "deal", "summary", "link",
                                                   "pulse"]
    assert f"/accounts/{cast.account1.slug}/timeline" in panel


def test_each_account_page_shows_its_own_recent_activity(login_as: Any, cast: Any,
                                                         session: Any) -> None:
    """The panel's statement is built once and reused for every account (the account a
    bound parameter) and per set of sources the viewer may see: each page still shows
    its own account's events, interviews only to those who read the program."""
    _world(session, cast)

    def panel(client: Any, slug: str) -> list[tuple[str, str, str]]:
        html = client.get(f"/accounts/{slug}").get_data(as_text=True)
        return _lines(html.split('class="card mb-3 activity-panel"', 1)[1]
                      .split("</ol>", 1)[0])

    analyst, admin = login_as(cast.analyst), login_as(cast.admin)
    assert panel(analyst, cast.account1.slug) == EVERYTHING[:5]
    assert panel(admin, cast.account2.slug) == [("2026-09-02", "call", "Globex call")]
    assert panel(analyst, cast.account1.slug) == EVERYTHING[:5]
    assert [kind for _d, kind, _t in panel(login_as(cast.am1), cast.account1.slug)] == [
        "meeting", "deal", "summary", "link", "pulse"]


def test_export_and_erasure_of_a_person_in_activities(login_as: Any, cast: Any,
                                                      session: Any) -> None:
    """The export lists what was logged with the person; erasure keeps the activities
    (on the account's timeline) but removes the person: their links and their name in
    the texts, of their own activities and of others that mention them."""
    carol = cast.stakeholder1
    ed = make_stakeholder(session, cast.account1, "Ed Engineer")
    call = make_activity(session, cast.account1, summary="Call with Carol Buyer and Ed",
                         outcome="Carol Buyer will send the figures", people=(carol, ed))
    mention = make_activity(session, cast.account1, kind="note",
                            summary="Ed says Carol Buyer is leaving")
    make_pulse(session, carol, taken_on=date(2026, 10, 2))
    session.commit()
    client = login_as(cast.am1)
    exported = client.post(f"/stakeholders/{carol.id}/export").get_json()
    assert [a["summary"] for a in exported["activities"]] == ["Call with Carol Buyer and Ed"]
    assert "Ed Engineer" not in str(exported["activities"])  # others' data stays out
    form = page_form(client, f"/stakeholders/{carol.id}/erase", having="confirm")
    assert client.post(form.action, data=form.data(confirm="y")).status_code == 302
    session.expire_all()
    erased = f"Erased stakeholder #{carol.id}"
    call_now, note_now = session.get(Activity, call.id), session.get(Activity, mention.id)
    assert call_now.summary == f"Call with {erased} and Ed"
    assert call_now.outcome == f"{erased} will send the figures"
    assert note_now.summary == f"Ed says {erased} is leaving"
    assert call_now.version == 2  # a new version: a form opened before cannot undo it
    assert session.exec(select(ActivityStakeholder.stakeholder_id).where(
        ActivityStakeholder.activity_id == call.id)).all() == [ed.id]
    html = client.get(f"/accounts/{cast.account1.slug}/timeline").get_data(as_text=True)
    assert "Carol" not in html and f"Call with {erased} and Ed" in html
    # Her pulse stays on the timeline (it still counts), attributed to nobody.
    pulse_line = html.split('data-kind="pulse"', 1)[1].split("</li>", 1)[0]
    assert "with" not in re.sub(r"<[^>]+>", "", pulse_line)
    assert session.get(Stakeholder, ed.id).name == "Ed Engineer"


def test_interviews_of_the_program_link_to_it(login_as: Any, cast: Any,
                                              session: Any) -> None:
    made = _world(session, cast)
    html = login_as(cast.analyst).get(f"/accounts/{cast.account1.slug}/timeline"
                                      ).get_data(as_text=True)
    assert f'href="/interviews/{made["named"].id}"' in html
    hidden_line = html.split(f'href="/interviews/{made["hidden"].id}"', 1)[1].split("</li>")[0]
    assert "Ed Engineer" not in hidden_line  # an anonymized interviewee is never named
    assert session.get(WinLossInterview, made["hidden"].id).stakeholder_id == made["ed"].id
