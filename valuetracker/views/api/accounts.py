"""/api/v1/accounts and /api/v1/stakeholders: the account list's filters, the account
and stakeholder forms, `accounts.create_account`/`update_account` and the stakeholders'
write functions."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import request
from flask_login import current_user
from sqlmodel import select

from ... import access, accounts, personal_data, stakeholders
from ...db import get_session, id_arg
from ...models import Account, Stakeholder, User
from ...signals.health import MAX_SCORE, band
from ...signals.health import scores as health_scores
from ..accounts import AccountForm
from ..stakeholders import person_to_change, stakeholder_form
from . import _core as core
from ._core import Invalid, account_slugs, bp, fields, one
from .spec import api, doc

ACCOUNT_FIELDS = ("id", "slug", "name", "segment", "industry", "tier", "status",
                  "annual_revenue", "cost_to_serve", "renewal_date", "external_id", "version",
                  "created_at", "updated_at")
STAKEHOLDER_FIELDS = ("id", "name", "title", "email", "phone", "buying_role", "influence",
                      "sentiment", "is_key", "reports_to_id", "preferences", "notes",
                      "preferred_channel", "external_id", "opted_out_at", "left_company_at",
                      "last_contacted_on", "version", "created_at", "updated_at")


def account_item(account: Account, owner_email: str | None,
                 health: dict[int, int] | None = None) -> dict[str, Any]:
    """The account's facts and its health (`signals.health`: 100 less the weights of its
    open signals, and the band). `health`: the page's scores, else this account's."""
    if health is None:
        health = health_scores(get_session(), account_ids=[account.id])
    score = health.get(account.id, MAX_SCORE)
    return {**fields(account, ACCOUNT_FIELDS), "owner_id": account.owner_id,
            "owner_email": owner_email, "health_score": score, "health_band": band(score)}


def _owner_email(account: Account) -> str | None:
    if account.owner_id is None:
        return None
    return get_session().exec(select(User.email).where(User.id == account.owner_id)).first()


@bp.get("/accounts")
@doc("list_accounts")
def list_accounts() -> Any:
    """List the accounts you may see.

    The web list's filters (`q`, `segment`, `tier`, `status`, `owner`), `updated_since`,
    and a cursor page in id order."""
    session = get_session()
    args = request.args
    owner = args.get("owner", "")
    filters = accounts.AccountFilters(
        q=args.get("q", "")[:200], segment=args.get("segment", ""), tier=args.get("tier", ""),
        status=args.get("status", ""),
        owner_id=id_arg(owner))
    query = (select(Account, User.email).join(User, User.id == Account.owner_id, isouter=True)
             .where(*accounts.account_list_conditions(current_user, filters)))

    def items(rows: list[Any]) -> list[dict[str, Any]]:
        health = health_scores(session, account_ids=[a.id for a, _email in rows])
        return [account_item(a, email, health) for a, email in rows]

    return core.listed(query, Account.id, items, since=Account.updated_at)


@bp.get("/accounts/<int:account_id>")
@doc("get_account")
def get_account(account_id: int) -> Any:
    """Read one account."""
    account = access.get_account_for_user(get_session(), current_user, account_id)
    return one(account_item(account, _owner_email(account)), account)


def _account_form(account: Account | None):  # type: ignore[no-untyped-def]
    def make(formdata: Any) -> AccountForm:
        form = core.form_of(AccountForm, formdata, obj=account)
        form.account_id = account.id if account else None
        # The team (owner and members) is managed on the web; the API edits the facts.
        del form.owner_id
        del form.member_ids
        return form
    return make


@bp.post("/accounts")
@doc("create_account", write=True, created=True)
def create_account() -> Any:
    """Create an account (you own it)."""
    session = core.writing()
    access.require(access.may_edit_accounts(current_user))
    form = core.bind_form(_account_form(None), core.json_body())
    return core.saved_new(
        lambda: accounts.create_account(session, data=form.account_data(),
                                        owner_id=current_user.id, member_ids=[],
                                        user=current_user),
        lambda account: account_item(account, current_user.email),
        "api.get_account", "account_id", commit=lambda: _commit_unique(session))


@bp.patch("/accounts/<int:account_id>")
@doc("update_account", write=True)
def update_account(account_id: int) -> Any:
    """Update an account's facts (only the fields given change). If-Match: its ETag."""
    session = core.writing()
    account = access.get_account_for_user(session, current_user, account_id, write=True)
    return core.updated(
        account, _account_form(account),
        lambda form, version: accounts.update_account(
            session, account, data=form.account_data(), expected_version=version,
            user=current_user),
        lambda: account_item(account, _owner_email(account)),
        commit=lambda: _commit_unique(session))


def _commit_unique(session: Any) -> None:
    try:
        session.commit()
    except sa.exc.IntegrityError:
        session.rollback()
        raise Invalid({"name": ["Another account already has this name or external id."]}) \
            from None


# --- stakeholders ---------------------------------------------------------------------------


def stakeholder_item(person: Stakeholder, slug: str) -> dict[str, Any]:
    item = fields(person, STAKEHOLDER_FIELDS)
    item.update(account=slug, account_id=person.account_id,
                opted_out=person.opted_out_at is not None,
                left_company=person.left_company_at is not None)
    return item


@bp.get("/stakeholders")
@doc("list_stakeholders")
def list_stakeholders() -> Any:
    """List the stakeholders of the accounts you may see (`account`: one account's)."""
    query = core.in_account(
        select(Stakeholder, Account.slug).join(Account, Account.id == Stakeholder.account_id)
        .where(access.account_scope(current_user)), Stakeholder.account_id)
    return core.listed(query, Stakeholder.id, core.with_slugs(stakeholder_item),
                       since=Stakeholder.updated_at)


@bp.get("/stakeholders/<int:stakeholder_id>")
@doc("get_stakeholder")
def get_stakeholder(stakeholder_id: int) -> Any:
    """Read one stakeholder."""
    person, account, _ = access.stakeholder_access(get_session(), current_user, stakeholder_id)
    return one(stakeholder_item(person, account.slug), person)


@bp.post("/stakeholders")
@doc("create_stakeholder", write=True, created=True)
def create_stakeholder() -> Any:
    """Add a stakeholder to an account (`account`: its id or slug)."""
    session, account, form = core.new_in_account(
        lambda a: lambda fd: stakeholder_form(a, None, formdata=fd))
    return core.saved_new(
        lambda: stakeholders.create_stakeholder(
            session, account, data=form.person_data(), opted_out=form.opted_out.data,
            left=form.left_company.data, user=current_user),
        lambda person: stakeholder_item(person, account.slug),
        "api.get_stakeholder", "stakeholder_id")


@bp.patch("/stakeholders/<int:stakeholder_id>")
@doc("update_stakeholder", write=True)
def update_stakeholder(stakeholder_id: int) -> Any:
    """Update a stakeholder (only the fields given change). If-Match: its ETag."""
    session = core.writing()
    person, account = person_to_change(stakeholder_id)
    return core.updated(
        person, lambda fd: stakeholder_form(account, person, formdata=fd),
        lambda form, version: stakeholders.update_stakeholder(
            session, person, data=form.person_data(), expected_version=version,
            opted_out=form.opted_out.data, left=form.left_company.data, user=current_user),
        lambda: stakeholder_item(person, account.slug))


@bp.delete("/stakeholders/<int:stakeholder_id>")
@doc("delete_stakeholder", write=True, deleted=True)
def delete_stakeholder(stakeholder_id: int) -> Any:
    """Erase a stakeholder's personal data for good, as the web's "Erase personal data":
    name, contact details and notes removed, their open links revoked; their pulses,
    confirmations and interviews still count without saying who. The record stays
    (erased: 409 on any later change). If-Match: its ETag."""
    session = core.writing()
    person, _account = person_to_change(stakeholder_id)
    return core.deleted(person, lambda: personal_data.erase_stakeholder(session, person))



__all__ = ["account_slugs", "api"]
