"""Health on the pages: the account page's score, band, trend and signals; the portfolio's
watch and at-risk list ordered by score; the admin's weights page (submitted as
rendered); each scoped to the user's accounts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import select

from valuetracker.models import AuditEvent, HealthSnapshot, Setting
from valuetracker.signals import refresh_signals
from valuetracker.signals.health import WEIGHTS_KEY, week_of

from .factories import make_account, make_commitment, make_entry, make_stakeholder
from .rendered import page_form


def refresh(session: Any) -> None:
    refresh_signals(session)
    session.commit()


def troubled(session: Any, cast: Any) -> None:
    """Acme: an overdue commitment and a disputed entry (so none of this year's value is
    confirmed) on top of a never-contacted buyer and a single thread:
    100 - 15 - 15 - 10 - 10 - 5 = 45 (watch)."""
    make_entry(session, cast.account1, "900", delivered_on=date.today(),
               evidence_status="disputed", title="Lower churn")
    make_commitment(session, cast.account1, due_on=date.today() - timedelta(days=3),
                    title="Roll out SSO")
    session.commit()
    refresh(session)


def health_panel(html: str) -> str:
    return html[html.index('id="health"'):].split('<div class="row g-3 mb-3">', 1)[0]


def test_account_page_shows_score_band_trend_and_each_signal(session: Any, cast: Any,
                                                           login_as: Any) -> None:
    troubled(session, cast)
    html = login_as(cast.am1).get(f"/accounts/{cast.account1.slug}").get_data(as_text=True)
    panel = health_panel(html)
    assert 'data-score="45"' in panel and 'data-band="watch"' in panel
    for text in ("Commitment overdue", "“Roll out SSO”", "−15", "Value disputed",
                 "“Lower churn”", "Key stakeholder not contacted in 90 days", "Carol Buyer",
                 "−5", "Single-threaded", "Next step: Deliver it or agree a new date",
                 f'href="/accounts/{cast.account1.slug}/value#commitments"',
                 f'href="/stakeholders/{cast.stakeholder1.id}"', "<svg"):
        assert text in panel, text
    snapshot = session.exec(select(HealthSnapshot).where(
        HealthSnapshot.account_id == cast.account1.id)).one()
    assert (snapshot.week, snapshot.score, snapshot.band) == (week_of(date.today()), 45,
                                                             "watch")
    assert "Week of " + week_of(date.today()).isoformat() + ": 45" in panel


def test_a_healthy_account_says_so(session: Any, cast: Any, login_as: Any) -> None:
    account = cast.account1
    make_entry(session, account, "900", delivered_on=date.today(), evidence_status="confirmed")
    cast.stakeholder1.last_contacted_on = date.today()
    session.add(cast.stakeholder1)
    make_stakeholder(session, account, "Second Contact", last_contacted_on=date.today())
    session.commit()
    refresh(session)
    panel = health_panel(login_as(cast.am1).get(f"/accounts/{account.slug}")
                         .get_data(as_text=True))
    assert 'data-score="100"' in panel and "No open signals" in panel


def test_portfolio_lists_watch_and_at_risk_by_score_with_top_reasons(
        session: Any, cast: Any, login_as: Any) -> None:
    troubled(session, cast)  # Acme 45
    empty = make_account(session, "Empty Co")  # no value, nobody: 100 - 15 - 10 - 10 = 65
    worse = make_account(session, "Worse Co")
    for n in range(3):
        make_commitment(session, worse, due_on=date.today() - timedelta(days=n + 1),
                        title=f"Promise {n}")
    fine = make_account(session, "Fine Co")
    make_entry(session, fine, "900", delivered_on=date.today(), evidence_status="confirmed")
    for role in ("economic_buyer", "champion"):
        make_stakeholder(session, fine, f"Fine {role}", buying_role=role,
                         last_contacted_on=date.today())
    session.commit()
    refresh(session)  # Worse: 65 - 45 = 20 (at risk); Globex 60 (no buyer either)
    html = login_as(cast.leader).get("/portfolio").get_data(as_text=True)
    section = html[html.index('id="at-risk"'):].split("</section>", 1)[0]
    order = [section.index(f'data-account="{a.slug}"')
             for a in (worse, cast.account1, cast.account2, empty)]
    assert order == sorted(order) and "4 active accounts" in section
    assert "Fine Co" not in section
    assert "At risk" in section and "Watch" in section and "“Promise 0”" in section
    row = section[section.index(f'data-account="{worse.slug}"'):].split("</tr>", 1)[0]
    assert row.count("<li>") == 3  # the top three reasons


def test_account_managers_see_only_their_accounts_health(session: Any, cast: Any,
                                                         login_as: Any) -> None:
    make_commitment(session, cast.account2, due_on=date.today() - timedelta(days=2),
                    title="Globex promise")
    make_commitment(session, cast.account2, due_on=date.today() - timedelta(days=3),
                    title="Second promise")
    troubled(session, cast)
    am1 = login_as(cast.am1)
    html = am1.get("/portfolio").get_data(as_text=True)
    section = html[html.index('id="at-risk"'):].split("</section>", 1)[0]
    assert "Acme Corp" in section and "Globex" not in section and "promise" not in section
    assert am1.get(f"/accounts/{cast.account2.slug}").status_code == 404
    leader = login_as(cast.leader).get("/portfolio").get_data(as_text=True)
    assert "Globex promise" in leader


def test_admin_changes_a_weight_through_the_form_as_rendered(session: Any, cast: Any,
                                                             login_as: Any) -> None:
    troubled(session, cast)
    client = login_as(cast.admin)
    form = page_form(client, "/admin/signals")
    assert form.value("commitment_overdue") == "15" and form.value("version") == "0"
    response = client.post(form.action, data=form.data(commitment_overdue="40"))
    assert response.status_code == 302
    row = session.get(Setting, WEIGHTS_KEY)
    session.refresh(row)
    assert row.value["commitment_overdue"] == 40
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "setting",
                                                  AuditEvent.entity_id == WEIGHTS_KEY)).one()
    assert event.details == {"commitment_overdue": [15, 40]}
    html = client.get(f"/accounts/{cast.account1.slug}").get_data(as_text=True)
    assert 'data-score="20"' in health_panel(html)  # 45 - 25 more
    assert 'data-band="at risk"' in health_panel(html)


def test_weights_form_refuses_bad_values_and_stale_versions(session: Any, cast: Any,
                                                            login_as: Any) -> None:
    client = login_as(cast.admin)
    form = page_form(client, "/admin/signals")
    for bad in ("-1", "101", "lots", ""):
        response = client.post(form.action, data=form.data(deal_lost=bad))
        assert response.status_code == 200, bad
        assert "is-invalid" in response.get_data(as_text=True)
    assert session.get(Setting, WEIGHTS_KEY) is None
    assert client.post(form.action, data=form.data(deal_lost="12")).status_code == 302
    stale = client.post(form.action, data=form.data(deal_lost="13"))  # version 0 again
    assert stale.status_code == 409 and "Ada Admin" in stale.get_data(as_text=True)


def test_only_admins_open_the_weights_page(cast: Any, login_as: Any) -> None:
    for user in (cast.am1, cast.analyst, cast.leader):
        assert login_as(user).get("/admin/signals").status_code == 403
    html = login_as(cast.admin).get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/signals"' in html


def test_the_timeline_shows_signals_raised_and_cleared(session: Any, cast: Any,
                                                       login_as: Any) -> None:
    commitment = make_commitment(session, cast.account1, due_on=date.today() - timedelta(days=3),
                                 title="Roll out SSO")
    session.commit()
    refresh(session)
    commitment.status = "delivered"
    session.add(commitment)
    session.commit()
    refresh(session)
    client = login_as(cast.am1)
    html = client.get(f"/accounts/{cast.account1.slug}/timeline").get_data(as_text=True)
    assert "Signal raised: The commitment “Roll out SSO”" in html
    assert "Signal cleared: The commitment “Roll out SSO”" in html
    only = client.get(f"/accounts/{cast.account1.slug}/timeline?type=signal_cleared"
                      ).get_data(as_text=True)
    assert "Signal cleared:" in only and "Signal raised:" not in only
    person = client.get(f"/stakeholders/{cast.stakeholder1.id}/timeline").get_data(as_text=True)
    assert "Signal raised: Carol Buyer has never been contacted." in person
    assert "Roll out SSO" not in person  # about the account, not about her
    outsider = login_as(cast.am2).get(f"/accounts/{cast.account1.slug}/timeline")
    assert outsider.status_code == 404


def test_erasing_a_person_takes_their_name_out_of_signals(session: Any, cast: Any) -> None:
    from valuetracker.models import Signal
    from valuetracker.personal_data import erase_stakeholder

    person = make_stakeholder(session, cast.account1, "Nina Costa", title="CFO", is_key=True)
    session.commit()
    refresh(session)
    erase_stakeholder(session, person)
    session.commit()
    messages = session.exec(select(Signal.message)).all()
    assert messages and not any("Nina" in m or "CFO" in m for m in messages)
    assert f"Erased stakeholder #{person.id} has never been contacted." in messages


def test_a_person_signal_without_its_person_links_to_the_account(session: Any, cast: Any,
                                                                login_as: Any) -> None:
    from valuetracker.models import Signal

    troubled(session, cast)
    signal = session.exec(select(Signal).where(Signal.kind == "key_not_contacted")).first()
    signal.stakeholder_id = None  # as a bulk load or an erased person can leave it
    session.add(signal)
    session.commit()
    page = login_as(cast.am1).get(f"/accounts/{cast.account1.slug}")
    assert page.status_code == 200
    assert f'href="/accounts/{cast.account1.slug}"' in health_panel(page.get_data(as_text=True))
