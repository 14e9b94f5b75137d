"""Demo data of signals and health: the story the demo tells, then a refresh.

Most accounts are healthy: the team settled their disputes on a call (the customer
confirmed the figure) and got in touch with their key people lately. A few are not:
Blue Yonder Retail (renews within weeks, a detractor, figures disputed), Fabrikam
Manufacturing (costs more than it brings, NPS falling) and State Health Agency (deals
lost), in *at risk*, and City of Riverton in *watch*. The signals are then computed
from that data as the worker would (`refresh_signals`), with this week's snapshot and
a short trend of earlier weeks.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from .. import activities
from ..models import Account, HealthSnapshot, Stakeholder, ValueEntry
from ..signals import refresh_signals
from ..signals.health import band, week_of
from ..stakeholders import key_stale_condition
from ..value import record_confirmation

TROUBLED = ("Blue Yonder Retail", "Fabrikam Manufacturing", "State Health Agency",
            "City of Riverton")
# Troubled, but the team settled all of its disputes except the latest.
MOSTLY_SETTLED = ("City of Riverton",)
SETTLED = "Agreed on the figure after walking through the numbers together."
# Earlier weeks of the trend: how many points each troubled account lost each week.
TREND_WEEKS = 6


def seed(session: Session, made: dict[str, Any]) -> None:
    today = made.get("today")
    users = made.get("users") or {}
    accounts = [a for a in made.get("accounts") or
                session.exec(select(Account)).all() if a.status == "active"]
    calm = [a for a in accounts if a.name not in TROUBLED]
    calm_ids = [a.id for a in calm]
    owners = {a.id: a.owner_id for a in accounts}
    settle = calm_ids + [a.id for a in accounts if a.name in MOSTLY_SETTLED]
    people = {p.id: p for p in session.exec(select(Stakeholder)).all()}
    by_id = {u.id: u for u in users.values()}
    # Disputes settled on a call, recorded by the account's owner.
    disputed = session.exec(select(ValueEntry).where(ValueEntry.account_id.in_(settle),
                                                     ValueEntry.evidence_status == "disputed")
                            .order_by(ValueEntry.delivered_on.desc(), ValueEntry.id)).all()
    latest: dict[int, ValueEntry] = {}
    for entry in disputed:
        latest.setdefault(entry.account_id, entry)
    for entry in disputed:
        if entry.account_id not in calm_ids and latest[entry.account_id] is entry:
            continue  # a troubled account keeps its latest dispute open
        buyer = next((p for p in people.values() if p.account_id == entry.account_id
                      and p.is_key and p.left_company_at is None), None)
        record_confirmation(session, entry, stakeholder_id=buyer.id if buyer else None,
                            response="confirmed", comment=SETTLED,
                            user=by_id.get(owners.get(entry.account_id) or -1))
    # A check-in call with each key person nobody had talked to in 90 days.
    stale = session.exec(select(Stakeholder).where(Stakeholder.account_id.in_(calm_ids),
                                                   key_stale_condition(today))).all()
    for account in calm:
        ids = [p.id for p in stale if p.account_id == account.id]
        if ids:
            activities.log_activity(
                session, account, {"kind": "call", "occurred_on": today - timedelta(days=3),
                                   "summary": "Check-in call: priorities for next quarter.",
                                   "outcome": "They will join the next QBR."},
                stakeholder_ids=ids, user=by_id.get(account.owner_id or -1), today=today)
    session.flush()
    result = refresh_signals(session, today=today)
    _trend(session, accounts, today)
    made["signals"] = len(result.opened)


def _trend(session: Session, accounts: list[Account], today: Any) -> None:
    """Earlier weekly snapshots: the troubled accounts slid over the last weeks, the
    others held steady at this week's score."""
    current = {s.account_id: s.score for s in session.exec(
        select(HealthSnapshot).where(HealthSnapshot.week == week_of(today))).all()}
    for account in accounts:
        score = current.get(account.id, 100)
        for back in range(1, TREND_WEEKS):
            week = week_of(today) - timedelta(weeks=back)
            earlier = min(100, score + (8 * back if account.name in TROUBLED else 0))
            session.add(HealthSnapshot(account_id=account.id, week=week, score=earlier,
                                       band=band(earlier)))
    session.flush()
