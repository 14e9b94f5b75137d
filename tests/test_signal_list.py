"""The signals list (`/signals`): the open signals of the user's accounts, sorted and
filtered in the URL, an unknown value noted, CSV of the same filters (formula-safe),
Save view; filtered to one account, the rows its health score is taken from."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any
from urllib.parse import urlencode

from valuetracker.signals import account_health

from .factories import make_signal
from .rendered import page_html, page_text, posting_to, rendered_forms


def _csv(client: Any, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _signals(session: Any, cast: Any) -> None:
    make_signal(session, cast.account1, "key_stakeholder_left", severity="high",
                since=date(2026, 10, 1), key="a", message="=HYPERLINK(\"x\")")
    make_signal(session, cast.account1, "value_disputed", severity="medium",
                since=date(2026, 11, 1), key="b", message="Disputed")
    make_signal(session, cast.account2, "key_stakeholder_left", severity="high",
                since=date(2026, 9, 1), key="c", message="Globex left")
    session.commit()


def test_an_account_manager_sees_only_their_accounts_signals(session: Any, cast: Any,
                                                             login_as: Any) -> None:
    _signals(session, cast)
    rows = _csv(login_as(cast.am1), "/signals?format=csv")
    assert {r["Account"] for r in rows} == {cast.account1.name}
    assert len(_csv(login_as(cast.leader), "/signals?format=csv")) == 3


def test_filtered_to_an_account_it_holds_the_health_scores_rows(session: Any, cast: Any,
                                                                login_as: Any) -> None:
    """As many rows as open signals, their weights adding up to what the score takes
    off 100, heaviest first as the account page lists them; text is formula-safe."""
    _signals(session, cast)
    rows = _csv(login_as(cast.am1), f"/signals?account={cast.account1.id}&format=csv")
    health = account_health(session, cast.account1)
    assert [r["Message"] for r in rows] == [o.signal.message if not
                                             o.signal.message.startswith("=")
                                             else "'" + o.signal.message
                                             for o in health.signals]
    assert 100 - sum(int(r["Weight"]) for r in rows) == health.score
    assert rows[0]["Message"].startswith("'=")


def test_sorts_filters_and_notes_unknown_values(session: Any, cast: Any,
                                                login_as: Any) -> None:
    _signals(session, cast)
    client = login_as(cast.leader)
    by_since = _csv(client, "/signals?sort=since&format=csv")
    assert [r["Since"] for r in by_since] == ["2026-09-01", "2026-10-01", "2026-11-01"]
    newest = _csv(client, "/signals?sort=-since&format=csv")
    assert newest[0]["Since"] == "2026-11-01"
    medium = _csv(client, "/signals?severity=medium&format=csv")
    assert [r["Message"] for r in medium] == ["Disputed"]
    left = _csv(client, "/signals?kind=key_stakeholder_left&since_from=2026-09-15&format=csv")
    assert len(left) == 1 and left[0]["Account"] == cast.account1.name
    text = page_text(page_html(client, "/signals?sort=margin&severity=dire&since_to=soon&x=1"))
    assert "Sorting by “margin” isn't available" in text
    assert "“dire” isn't a value of the severity filter; ignored." in text
    assert "“soon” isn't a date" in text
    assert "There is no filter “x” on this list" in text
    # the ignored values are left out of the list's links (the CSV link: every row)
    html = page_html(client, "/signals?severity=dire")
    assert 'href="/signals?sort=-weight&amp;format=csv"' in html


def test_the_filter_form_as_rendered_filters_the_list(session: Any, cast: Any,
                                                      login_as: Any) -> None:
    _signals(session, cast)
    client = login_as(cast.leader)
    html = page_html(client, "/signals")
    [form] = [f for f in rendered_forms(html) if f.method == "get" and "severity" in f.names]
    assert form.action == "/signals"
    query = urlencode(list(form.data(account=str(cast.account2.id)).items(multi=True)))
    filtered = page_html(client, f"/signals?{query}")
    assert "Globex left" in filtered and "Disputed" not in filtered
    assert 'data-health-score="' in filtered  # one account: its score above its rows
    [again] = [f for f in rendered_forms(filtered)
               if f.method == "get" and "severity" in f.names]
    assert again.value("account") == str(cast.account2.id)


def test_save_view_as_rendered_keeps_the_filters(session: Any, cast: Any,
                                                 login_as: Any) -> None:
    _signals(session, cast)
    client = login_as(cast.leader)
    url = "/signals?severity=high&sort=since"
    form = posting_to(page_html(client, url), "/views")
    response = client.post(form.action, data=form.data(name="High, oldest first"))
    assert response.status_code == 302
    menu = page_html(client, "/signals")
    assert "High, oldest first" in menu
    opened = client.get(re.findall(r'href="(/views/\d+)"', menu)[0])
    assert opened.status_code == 302
    assert "severity=high" in opened.headers["Location"]
    assert "sort=since" in opened.headers["Location"]
