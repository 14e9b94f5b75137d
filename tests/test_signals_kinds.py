"""Every signal kind opens from real data and clears when the data no longer says it;
a recurrence opens a new occurrence and the cleared one stays as history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import select

from valuetracker.models import AccessLink, Account, Signal
from valuetracker.signals import KINDS, refresh_signals
from valuetracker.signals.health import get_weights

from .factories import (
    make_account,
    make_commitment,
    make_confirmation,
    make_deal,
    make_entry,
    make_factor,
    make_interview,
    make_pulse,
    make_stakeholder,
    make_summary,
)

TODAY = date(2026, 12, 2)
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def refresh(session: Any, today: date = TODAY, **kw: Any) -> Any:
    now = datetime.combine(today, NOW.timetz())
    result = refresh_signals(session, today=today, now=now, **kw)
    session.commit()
    return result


def open_signals(session: Any, account: Account, kind: str) -> list[Signal]:
    return list(session.exec(select(Signal).where(Signal.account_id == account.id,
                                                  Signal.kind == kind,
                                                  Signal.cleared_at.is_(None))).all())


def healthy_account(session: Any, name: str = "Initech") -> tuple[Account, Any, Any]:
    """An active account with nothing to say: two engaged key people (one the economic
    buyer), recent confirmed value, no renewal soon."""
    account = make_account(session, name)
    buyer = make_stakeholder(session, account, "Eve Buyer", buying_role="economic_buyer",
                             is_key=True, last_contacted_on=TODAY - timedelta(days=3),
                             created_at=NOW - timedelta(days=200))
    champion = make_stakeholder(session, account, "Finn Champion", buying_role="champion",
                                is_key=True, last_contacted_on=TODAY - timedelta(days=10),
                                created_at=NOW - timedelta(days=200))
    make_entry(session, account, "5000", delivered_on=TODAY - timedelta(days=20),
               evidence_status="confirmed", title="Cut cloud costs")
    session.commit()
    return account, buyer, champion


def test_a_healthy_account_has_no_signals(session: Any) -> None:
    account, _, _ = healthy_account(session)
    result = refresh(session)
    assert [s for s in result.opened if s.account_id == account.id] == []


def test_key_stakeholder_left_opens_and_clears_when_a_successor_is_mapped(session: Any
                                                                         ) -> None:
    account, _, champion = healthy_account(session)
    champion.left_company_at = NOW - timedelta(days=5)
    session.add(champion)
    session.commit()
    refresh(session)
    [signal] = open_signals(session, account, "key_stakeholder_left")
    assert "Finn Champion" in signal.message and signal.stakeholder_id == champion.id
    assert signal.since == (NOW - timedelta(days=5)).date() and signal.severity == "high"
    make_stakeholder(session, account, "Gina Successor", buying_role="champion", is_key=True,
                     created_at=NOW - timedelta(days=1), last_contacted_on=TODAY)
    session.commit()
    result = refresh(session)
    assert open_signals(session, account, "key_stakeholder_left") == []
    assert [s.id for s in result.closed if s.kind == "key_stakeholder_left"] == [signal.id]


def test_key_detractor_by_latest_pulse_and_by_sentiment(session: Any) -> None:
    account, buyer, champion = healthy_account(session)
    make_pulse(session, buyer, taken_on=TODAY - timedelta(days=30), recommend=9)
    pulse = make_pulse(session, buyer, taken_on=TODAY - timedelta(days=2), recommend=3,
                       satisfaction=2, intent="probably_not")
    champion.sentiment = "detractor"
    session.add(champion)
    session.commit()
    refresh(session)
    signals = {s.stakeholder_id: s for s in open_signals(session, account, "key_detractor")}
    assert set(signals) == {buyer.id, champion.id}
    assert "Eve Buyer" in signals[buyer.id].message and "3 of 10" in signals[buyer.id].message
    assert signals[buyer.id].subject_type == "pulse" and signals[buyer.id].subject_id == pulse.id
    assert "Finn Champion" in signals[champion.id].message
    make_pulse(session, buyer, taken_on=TODAY - timedelta(days=1), recommend=8)
    champion.sentiment = "supporter"
    session.add(champion)
    session.commit()
    refresh(session)
    assert open_signals(session, account, "key_detractor") == []


def test_satisfied_but_not_loyal(session: Any) -> None:
    account, buyer, _ = healthy_account(session)
    make_pulse(session, buyer, taken_on=TODAY - timedelta(days=5), satisfaction=5,
               intent="probably", recommend=8)
    session.commit()
    refresh(session)
    [signal] = open_signals(session, account, "satisfied_not_loyal")
    assert "Eve Buyer" in signal.message and "Probably" in signal.message
    make_pulse(session, buyer, taken_on=TODAY - timedelta(days=1), satisfaction=5,
               intent="definitely", recommend=9)
    session.commit()
    refresh(session)
    assert open_signals(session, account, "satisfied_not_loyal") == []


def test_value_disputed_names_who_disputed_and_clears_when_confirmed(session: Any) -> None:
    account, buyer, _ = healthy_account(session)
    entry = make_entry(session, account, "800", title="Faster month-end close",
                       delivered_on=TODAY - timedelta(days=15), evidence_status="disputed")
    make_confirmation(session, entry, buyer, "Not our number", response="disputed",
                      responded_at=NOW - timedelta(days=4))
    session.commit()
    refresh(session)
    [signal] = open_signals(session, account, "value_disputed")
    assert "Eve Buyer" in signal.message and "Faster month-end close" in signal.message
    assert (signal.subject_type, signal.subject_id) == ("value_entry", entry.id)
    entry.evidence_status = "confirmed"
    session.add(entry)
    session.commit()
    refresh(session)
    assert open_signals(session, account, "value_disputed") == []


def test_no_value_in_90_days(session: Any) -> None:
    account = make_account(session, "Quiet Co")
    make_entry(session, account, "100", delivered_on=TODAY - timedelta(days=120),
               title="Old win")
    session.commit()
    refresh(session)
    [signal] = open_signals(session, account, "no_recent_value")
    assert "Quiet Co" in signal.message and (TODAY - timedelta(days=120)).isoformat() in \
        signal.message
    make_entry(session, account, "100", delivered_on=TODAY - timedelta(days=1))
    session.commit()
    refresh(session)
    assert open_signals(session, account, "no_recent_value") == []


def test_confirmed_share_under_a_quarter_this_year(session: Any) -> None:
    account, _, _ = healthy_account(session)  # 5000 confirmed
    make_entry(session, account, "20000", delivered_on=TODAY - timedelta(days=40))
    session.commit()
    refresh(session)
    [signal] = open_signals(session, account, "low_confirmed_share")
    assert "20%" in signal.message and "Initech" in signal.message
    make_entry(session, account, "2000", delivered_on=TODAY - timedelta(days=2),
               evidence_status="confirmed")  # 7000 of 27000
    session.commit()
    refresh(session)
    assert open_signals(session, account, "low_confirmed_share") == []


def test_value_too_recent_to_be_confirmed_is_not_held_against_the_share(session: Any) -> None:
    account, _, _ = healthy_account(session)  # 5000 confirmed
    make_entry(session, account, "20000", delivered_on=TODAY - timedelta(days=29))
    session.commit()
    refresh(session)
    assert open_signals(session, account, "low_confirmed_share") == []
    make_entry(session, account, "20000", delivered_on=TODAY - timedelta(days=30))
    session.commit()
    refresh(session)  # 5000 of 25000 old enough to have been asked about
    [signal] = open_signals(session, account, "low_confirmed_share")
    assert "20%" in signal.message


def test_commitment_overdue(session: Any) -> None:
    account, _, _ = healthy_account(session)
    commitment = make_commitment(session, account, due_on=TODAY - timedelta(days=3),
                                 title="Roll out SSO")
    session.commit()
    refresh(session)
    [signal] = open_signals(session, account, "commitment_overdue")
    assert "Roll out SSO" in signal.message and signal.since == TODAY - timedelta(days=2)
    commitment.status, commitment.delivered_on = "delivered", TODAY
    session.add(commitment)
    session.commit()
    refresh(session)
    assert open_signals(session, account, "commitment_overdue") == []


def test_renewal_with_an_open_high_signal_or_a_summary_not_sent(session: Any) -> None:
    account, buyer, champion = healthy_account(session)
    account.renewal_date = TODAY + timedelta(days=30)
    session.add(account)
    session.commit()
    refresh(session)
    [signal] = open_signals(session, account, "renewal_at_risk")
    assert "2 key stakeholders not sent the 2026-Q4 summary" in signal.message
    for person in (buyer, champion):
        make_summary(session, person, quarter="2026-Q4")
    session.commit()
    refresh(session)
    assert open_signals(session, account, "renewal_at_risk") == []
    commitment = make_commitment(session, account, due_on=TODAY - timedelta(days=3),
                                 title="Roll out SSO")
    session.commit()
    refresh(session)
    [again] = open_signals(session, account, "renewal_at_risk")
    assert "commitment overdue" in again.message and again.id != signal.id
    commitment.status = "dropped"
    session.add(commitment)
    session.commit()
    refresh(session)
    assert open_signals(session, account, "renewal_at_risk") == []


def test_single_threaded_and_no_economic_buyer(session: Any) -> None:
    account, buyer, champion = healthy_account(session)
    champion.last_contacted_on = TODAY - timedelta(days=100)
    buyer.buying_role = "influencer"
    session.add_all([champion, buyer])
    session.commit()
    refresh(session)
    [single] = open_signals(session, account, "single_threaded")
    assert "Eve Buyer is the only engaged contact at Initech" in single.message
    [no_buyer] = open_signals(session, account, "no_economic_buyer")
    assert "Initech" in no_buyer.message
    champion.last_contacted_on = TODAY
    buyer.buying_role = "economic_buyer"
    session.add_all([champion, buyer])
    session.commit()
    refresh(session)
    assert open_signals(session, account, "single_threaded") == []
    assert open_signals(session, account, "no_economic_buyer") == []


def test_key_stakeholder_not_contacted_follows_logged_activities(session: Any, cast: Any,
                                                                login_as: Any) -> None:
    account, _, champion = healthy_account(session)
    champion.last_contacted_on = TODAY - timedelta(days=100)
    champion.contacted_before_timeline_on = TODAY - timedelta(days=100)
    session.add(champion)
    session.commit()
    refresh(session, today=date.today())
    [signal] = open_signals(session, account, "key_not_contacted")
    assert "Finn Champion" in signal.message and signal.severity == "low"
    # Logging a call through the app's one rule moves "last contacted".
    from valuetracker.activities import log_activity

    log_activity(session, account, {"kind": "call", "occurred_on": date.today(),
                                    "summary": "Caught up", "outcome": None},
                 stakeholder_ids=[champion.id], user=cast.am1)
    session.commit()
    refresh(session, today=date.today())
    assert open_signals(session, account, "key_not_contacted") == []


def test_nps_fell_by_20_points_since_last_quarter(session: Any) -> None:
    account, buyer, champion = healthy_account(session)
    for person in (buyer, champion):
        make_pulse(session, person, taken_on=date(2026, 8, 1), recommend=10)
    make_pulse(session, buyer, taken_on=date(2026, 11, 1), recommend=8)
    session.commit()
    refresh(session)
    [signal] = open_signals(session, account, "nps_drop")
    assert "from 100 to 50" in signal.message and "2026-Q3" in signal.message
    make_pulse(session, buyer, taken_on=date(2026, 11, 20), recommend=9)
    session.commit()
    refresh(session)
    assert open_signals(session, account, "nps_drop") == []


def test_deal_lost_with_the_buyers_primary_reason(session: Any) -> None:
    account, buyer, _ = healthy_account(session)
    deal = make_deal(session, account, outcome="lost", name="Analytics add-on",
                     closed_on=TODAY - timedelta(days=10))
    price = make_factor(session, "Price too high", "Commercial")
    make_interview(session, deal, buyer, completed_at=NOW, primary_reason_id=price.id)
    session.commit()
    refresh(session)
    [signal] = open_signals(session, account, "deal_lost")
    assert "Analytics add-on" in signal.message and "Price too high" in signal.message
    refresh(session, today=TODAY + timedelta(days=91))
    assert open_signals(session, account, "deal_lost") == []


def test_link_unanswered_for_14_days(session: Any) -> None:
    account, buyer, _ = healthy_account(session)
    link = AccessLink(nonce="n-1", purpose="pulse", stakeholder_id=buyer.id,
                      account_id=account.id, created_at=NOW - timedelta(days=15),
                      expires_at=NOW + timedelta(days=10))
    session.add(link)
    session.commit()
    refresh(session)
    [signal] = open_signals(session, account, "link_unanswered")
    assert "Eve Buyer" in signal.message and "loyalty pulse" in signal.message
    link.used_at = NOW
    session.add(link)
    session.commit()
    refresh(session)
    assert open_signals(session, account, "link_unanswered") == []


def test_a_recurrence_opens_anew_and_history_is_kept(session: Any) -> None:
    account, _, _ = healthy_account(session)
    commitment = make_commitment(session, account, due_on=TODAY - timedelta(days=3))
    session.commit()
    refresh(session)
    first = open_signals(session, account, "commitment_overdue")[0]
    again = refresh(session)  # nothing changed: nothing opens twice
    assert again.opened == [] and again.closed == []
    commitment.status = "delivered"
    session.add(commitment)
    session.commit()
    refresh(session)
    commitment.status = "in_progress"
    session.add(commitment)
    session.commit()
    refresh(session)
    rows = list(session.exec(select(Signal).where(Signal.kind == "commitment_overdue")
                             .order_by(Signal.id)).all())
    assert [r.id == first.id for r in rows] == [True, False]
    assert rows[0].cleared_at is not None and rows[1].cleared_at is None


def test_signals_of_an_account_that_is_no_longer_active_clear(session: Any) -> None:
    account = make_account(session, "Quiet Co")
    session.commit()
    refresh(session)
    assert open_signals(session, account, "no_recent_value")
    account.status = "churned"
    session.add(account)
    session.commit()
    refresh(session, account_ids=[account.id])
    assert open_signals(session, account, "no_recent_value") == []


def test_a_refresh_of_some_accounts_leaves_the_others_alone(session: Any) -> None:
    quiet = make_account(session, "Quiet Co")
    other = make_account(session, "Other Co")
    session.commit()
    refresh(session, account_ids=[quiet.id])
    assert open_signals(session, quiet, "no_recent_value")
    assert open_signals(session, other, "no_recent_value") == []


def test_every_kind_has_a_severity_weight_and_texts(app: Any, session: Any) -> None:
    assert len(KINDS) == 14
    weights = get_weights(session)
    for name, k in KINDS.items():
        assert k.severity in ("high", "medium", "low")
        assert weights[name] == k.weight > 0 and k.clears and k.next_step and k.label


def test_refresh_emits_signal_opened_and_closed(session: Any) -> None:
    from valuetracker import events

    got: list[events.Event] = []

    def catch(_session: Any, event: events.Event) -> None:
        if event.name.startswith("signal."):  # the plays' task.* events are theirs to test
            got.append(event)

    events.handler(catch)
    try:
        account, _, _ = healthy_account(session)
        commitment = make_commitment(session, account, due_on=TODAY - timedelta(days=3),
                                     title="Roll out SSO")
        session.commit()
        opened = refresh(session).opened
        assert [(e.name, e.entity, e.entity_id, e.data["kind"]) for e in got] == [
            ("signal.opened", "signal", opened[0].id, "commitment_overdue")]
        assert "Roll out SSO" in got[0].data["message"] and got[0].account_id == account.id
        commitment.status = "missed"
        session.add(commitment)
        session.commit()
        refresh(session)
        assert [e.name for e in got] == ["signal.opened", "signal.closed"]
    finally:
        events._handlers.remove(catch)


def test_docs_list_every_kind_with_its_severity_and_default_weight() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "signals.md").read_text()
    for name, k in KINDS.items():
        assert f"| `{name}` | {k.label} | {k.severity} | {k.weight} |" in text, name
