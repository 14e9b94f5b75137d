"""The bulk actions of each list: accounts (reassign owner, archive), deals (reassign
owner) and stakeholders across accounts (mark key or not key, request confirmations or
pulses). Each loads the selection through `access` (rows outside the user's scope are
not found), refuses what the user may not change or the area's rule forbids, in words,
and changes each row through the area's own write function (which audits it).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from .. import accounts, stakeholders
from ..access import (
    account_scope,
    accounts_for_change,
    deal_scope,
    may_edit_account,
    may_edit_accounts,
    may_reassign_deal_owner,
    may_reassign_owner,
    reassigns_every_owner,
)
from ..models import Deal, Stakeholder, User
from ..value import outreach
from ..winloss.deals import reassign_deal_owner
from .core import Action, BulkList

# --- accounts ---------------------------------------------------------------------------


def _load_accounts(session: Session, user: User, ids: list[int]) -> dict[int, Any]:
    return {row[0].id: row for row in accounts_for_change(session, user, ids)}


def _owner_problem(session: Session, owner_id: Any) -> str | None:
    """The new owner of accounts must be an active user who may edit accounts."""
    candidates = {u.id for u in accounts.team_candidates(session)}
    return None if owner_id in candidates else "The new owner is not an active account manager."


def _refuse_owner(session: Session, user: User, row: Any, owner_id: Any) -> str | None:
    account, is_member, owner_active = row
    if may_reassign_owner(user, account, is_member=is_member, owner_active=owner_active):
        return None
    return ("you may not choose its owner (its owner, leaders and admins do; its team "
            "members once the owner's user is deactivated)")


def _refuse_edit(session: Session, user: User, row: Any, value: Any) -> str | None:
    account, is_member, _active = row
    return None if may_edit_account(user, account, is_member=is_member) else \
        "you may not change this account"


ACCOUNTS = BulkList("accounts", "account", "accounts", (
    Action("reassign_owner", "Reassign owner", "owner becomes {value}",
           offered=lambda u: may_edit_accounts(u) or reassigns_every_owner(u),
           load=_load_accounts, name=lambda row: row[0].name, refuse=_refuse_owner,
           unchanged=lambda row, owner_id: row[0].owner_id == owner_id
           and not row[0].owner_name,
           apply=lambda s, u, row, owner_id: accounts.reassign_owner(s, row[0], owner_id,
                                                                     user=u),
           value="owner_id", value_problem=_owner_problem),
    Action("archive", "Archive", "status becomes archived (hidden from the list)",
           offered=may_edit_accounts, load=_load_accounts, name=lambda row: row[0].name,
           refuse=_refuse_edit, unchanged=lambda row, _v: row[0].status == "archived",
           apply=lambda s, u, row, _v: accounts.archive_account(s, row[0], user=u) or True),
))

# --- deals ------------------------------------------------------------------------------


def _load_deals(session: Session, user: User, ids: list[int]) -> dict[int, Any]:
    return {d.id: d for d in session.exec(
        select(Deal).where(Deal.id.in_(ids), deal_scope(user))).all()}


def _deal_owner_problem(session: Session, owner_id: Any) -> str | None:
    owner = session.get(User, owner_id) if isinstance(owner_id, int) else None
    return None if owner is not None and owner.active else "The new owner is not an active user."


DEALS = BulkList("deals", "deal", "deals", (
    Action("reassign_owner", "Reassign owner", "owner becomes {value}",
           offered=may_reassign_deal_owner, load=_load_deals, name=lambda d: d.name,
           refuse=lambda s, u, d, v: None if may_reassign_deal_owner(u) else
           "you may not change deals",
           unchanged=lambda d, owner_id: d.owner_id == owner_id and not d.owner_name,
           apply=lambda s, u, d, owner_id: reassign_deal_owner(s, d, owner_id, user=u),
           value="owner_id", value_problem=_deal_owner_problem),
))

# --- stakeholders across accounts -------------------------------------------------------


def _load_people(session: Session, user: User, ids: list[int]) -> dict[int, Any]:
    """id -> (person, account, may the user change them): two queries."""
    people = session.exec(select(Stakeholder).where(
        Stakeholder.id.in_(ids), Stakeholder.erased_at.is_(None),
        account_scope(user, Stakeholder.account_id))).all()
    rights = {a.id: (a, may_edit_account(user, a, is_member=m)) for a, m, _active in
              accounts_for_change(session, user, sorted({p.account_id for p in people}))}
    return {p.id: (p, *rights[p.account_id]) for p in people if p.account_id in rights}


def _person_name(row: Any) -> str:
    return f"{row[0].name} ({row[1].name})"


def _refuse_person(session: Session, user: User, row: Any, value: Any) -> str | None:
    return None if row[2] else f"you may not change people at {row[1].name}"


def _refuse_contact(session: Session, user: User, row: Any, value: Any) -> str | None:
    return _refuse_person(session, user, row, value) or outreach.unreachable_reason(row[0])


def _entries(session: Session, person: Stakeholder, scope: Any) -> list[int]:
    return outreach.entries_to_confirm(session, stakeholder=person,
                                       scope="recent" if scope == "recent" else "concerning")


def _refuse_confirmation(session: Session, user: User, row: Any, scope: Any) -> str | None:
    reason = _refuse_contact(session, user, row, scope)
    if reason is None and not _entries(session, row[0], scope):
        reason = ("no value to confirm for them (make them a beneficiary of an entry, or "
                  "ask about every entry of the last 90 days)")
    return reason


def _send(purpose: str) -> Any:
    def apply(session: Session, user: User, row: Any, scope: Any) -> bool:
        person, account, _may = row
        entry_ids = _entries(session, person, scope) if purpose == "confirm_value" else None
        outreach.send_link(session, account=account, stakeholder=person, purpose=purpose,
                           entry_ids=entry_ids, user=user)
        return True

    return apply


def _set_key(on: bool) -> Any:
    return lambda s, u, row, _v: stakeholders.set_flag(s, row[0], "key", on, user=u)


PEOPLE = BulkList("stakeholders", "person", "people", (
    Action("mark_key", "Mark key", "marked as key stakeholders", offered=may_edit_accounts,
           load=_load_people, name=_person_name, refuse=_refuse_person,
           unchanged=lambda row, _v: row[0].is_key, apply=_set_key(True)),
    Action("unmark_key", "Mark not key", "no longer key stakeholders",
           offered=may_edit_accounts, load=_load_people, name=_person_name,
           refuse=_refuse_person, unchanged=lambda row, _v: not row[0].is_key,
           apply=_set_key(False)),
    Action("request_confirmation", "Request confirmation",
           "each is e-mailed a link to confirm the value delivered ({value})",
           offered=may_edit_accounts, load=_load_people, name=_person_name,
           refuse=_refuse_confirmation, apply=_send("confirm_value"), value="entry_scope",
           sends_mail=True),
    Action("request_pulse", "Request pulse", "each is e-mailed a loyalty pulse link",
           offered=may_edit_accounts, load=_load_people, name=_person_name,
           refuse=_refuse_contact, apply=_send("pulse"), sends_mail=True),
))

LISTS: dict[str, BulkList] = {b.key: b for b in (ACCOUNTS, DEALS, PEOPLE)}
