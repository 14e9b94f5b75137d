"""What the benchmark looks at in a data set: the admin, the busiest account, a key
stakeholder of it, a deep page of a filtered list, the quarter to report on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, func, select

from valuetracker.api_tokens import create_token
from valuetracker.models import Account, LoyaltyPulse, Stakeholder, User, ValueEntry
from valuetracker.quarters import quarter_of
from valuetracker.sessions import start_session

from .generate import ADMIN_EMAIL

PAGE_SIZE = 25


@dataclass(frozen=True)
class Probe:
    admin_id: int
    admin_session_id: str  # what a signed-in session holds: "<User.get_id>:<session token>"
    account_id: int
    account_slug: str
    account_entries: int
    stakeholder_id: int
    deep_segment: str
    deep_page: int
    quarter: str  # the last complete quarter (summaries sent, exports taken)
    current_quarter: str
    # The account manager who owns the most accounts, signed in: My work at its busiest.
    manager_session_id: str = ""
    api_token: str = ""  # the admin's read token, for the API rows
    stakeholder_name: str = ""  # the stakeholder's name: what the search row types


def find_probe(engine: sa.Engine, *, page_size: int = PAGE_SIZE,
               anchor: date | None = None) -> Probe:
    """Pick the worst realistic case: the strategic active account with most value
    entries, its key stakeholder with most pulses, and ~90% deep into the Enterprise
    segment's pages of the accounts list."""
    anchor = anchor or date.today()
    with Session(engine) as session:
        admin = session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
        # A live server-side session, as the login form starts (sessions.start_session).
        admin_id = admin.id
        admin_session_id = f"{admin.get_id()}:{start_session(session, admin)}"
        busiest_manager = session.exec(
            select(User).join(Account, Account.owner_id == User.id)
            .where(User.role == "account_manager")
            .group_by(User.id).order_by(func.count(Account.id).desc(), User.id).limit(1)
        ).first()
        manager_session_id = ""
        if busiest_manager is not None:
            manager_session_id = (f"{busiest_manager.get_id()}:"
                                  f"{start_session(session, busiest_manager)}")
        _row, api_token = create_token(session, admin, name="bench", scope="read",
                                       expires_days=1)
        session.commit()
        busiest = session.exec(
            select(ValueEntry.account_id, func.count().label("n"))
            .join(Account, Account.id == ValueEntry.account_id)
            .where(Account.tier == "strategic", Account.status == "active")
            .group_by(ValueEntry.account_id)
            .order_by(sa.desc("n"), ValueEntry.account_id)
            .limit(1)
        ).first()
        if busiest is None:  # tiny data sets may lack a strategic account
            busiest = session.exec(
                select(ValueEntry.account_id, func.count().label("n"))
                .group_by(ValueEntry.account_id).order_by(sa.desc("n")).limit(1)
            ).one()
        account = session.get(Account, busiest[0])
        assert account is not None
        stakeholder = session.exec(
            select(Stakeholder.id)
            .outerjoin(LoyaltyPulse, LoyaltyPulse.stakeholder_id == Stakeholder.id)
            .where(Stakeholder.account_id == account.id, Stakeholder.is_key.is_(True),
                   Stakeholder.left_company_at.is_(None), Stakeholder.opted_out_at.is_(None))
            .group_by(Stakeholder.id)
            .order_by(func.count(LoyaltyPulse.id).desc(), Stakeholder.id)
            .limit(1)
        ).first()
        if stakeholder is None:
            stakeholder = session.exec(
                select(Stakeholder.id).where(Stakeholder.account_id == account.id).limit(1)
            ).one()
        stakeholder_name = session.get(Stakeholder, stakeholder).name
        segment = "Enterprise"
        in_segment = session.exec(
            select(func.count()).select_from(Account).where(Account.segment == segment)
        ).one()
    current = quarter_of(anchor)
    return Probe(
        admin_id=admin_id,
        admin_session_id=admin_session_id,
        account_id=account.id,
        account_slug=account.slug,
        account_entries=busiest[1],
        stakeholder_id=stakeholder,
        deep_segment=segment,
        deep_page=max(1, int(in_segment * 0.9) // page_size),
        quarter=current.previous().label,
        current_quarter=current.label,
        manager_session_id=manager_session_id,
        api_token=api_token,
        stakeholder_name=stakeholder_name,
    )
