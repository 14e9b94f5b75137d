"""/api/v1/accounts and /api/v1/stakeholders: the account list's filters, the account
and stakeholder forms, `accounts.create_account`/`update_account` and the stakeholders'
write functions."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, request, url_for
from flask_login import current_user
from sqlmodel import select

from ... import accounts, stakeholders
from ...access import (
    account_scope,
    get_account_for_user,
    may_edit_accounts,
    require,
    stakeholder_access,
)
from ...db import StaleEditError, get_session, id_arg
from ...models import Account, Stakeholder, User
from ...signals.health import MAX_SCORE, band
from ...signals.health import scores as health_scores
from ..accounts import AccountForm
from ..stakeholders import stakeholder_form
from ._core import (
    Invalid,
    account_arg,
    account_slugs,
    bind_form,
    body_account,
    bp,
    created,
    cursor_page,
    expected_version,
    fields,
    form_of,
    json_body,
    listing,
    one,
    require_write,
    updated_since,
)
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


def _conflict_412() -> None:
    abort(412)


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
    since = updated_since()
    if since is not None:
        query = query.where(Account.updated_at >= since)
    rows, nxt = cursor_page(session, query, Account.id)
    health = health_scores(session, account_ids=[a.id for a, _email in rows])
    return listing([account_item(a, email, health) for a, email in rows], nxt)


@bp.get("/accounts/<int:account_id>")
@doc("get_account")
def get_account(account_id: int) -> Any:
    """Read one account."""
    account = get_account_for_user(get_session(), current_user, account_id)
    return one(account_item(account, _owner_email(account)), account)


def _account_form(account: Account | None):  # type: ignore[no-untyped-def]
    def make(formdata: Any) -> AccountForm:
        form = form_of(AccountForm, formdata, obj=account)
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
    require_write()
    require(may_edit_accounts(current_user))
    session = get_session()
    body = json_body()
    form = bind_form(_account_form(None), body)
    account = accounts.create_account(session, data=form.account_data(),
                                      owner_id=current_user.id, member_ids=[],
                                      user=current_user)
    _commit_unique(session)
    return created(account_item(account, current_user.email), account,
                   url_for("api.get_account", account_id=account.id, _external=True))


@bp.patch("/accounts/<int:account_id>")
@doc("update_account", write=True)
def update_account(account_id: int) -> Any:
    """Update an account's facts (only the fields given change). If-Match: its ETag."""
    require_write()
    session = get_session()
    account = get_account_for_user(session, current_user, account_id, write=True)
    version = expected_version(account)
    form = bind_form(_account_form(account), json_body())
    try:
        accounts.update_account(session, account, data=form.account_data(),
                                expected_version=version, user=current_user)
    except StaleEditError:
        _conflict_412()
    _commit_unique(session)
    return one(account_item(account, _owner_email(account)), account)


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
    session = get_session()
    account = account_arg(session, current_user)
    query = (select(Stakeholder, Account.slug).join(Account, Account.id == Stakeholder.account_id)
             .where(account_scope(current_user)))
    if account is not None:
        query = query.where(Stakeholder.account_id == account.id)
    since = updated_since()
    if since is not None:
        query = query.where(Stakeholder.updated_at >= since)
    rows, nxt = cursor_page(session, query, Stakeholder.id)
    return listing([stakeholder_item(p, slug) for p, slug in rows], nxt)


@bp.get("/stakeholders/<int:stakeholder_id>")
@doc("get_stakeholder")
def get_stakeholder(stakeholder_id: int) -> Any:
    """Read one stakeholder."""
    person, account, _may_edit = stakeholder_access(get_session(), current_user, stakeholder_id)
    return one(stakeholder_item(person, account.slug), person)


@bp.post("/stakeholders")
@doc("create_stakeholder", write=True, created=True)
def create_stakeholder() -> Any:
    """Add a stakeholder to an account (`account`: its id or slug)."""
    require_write()
    session = get_session()
    body = json_body()
    account = body_account(session, current_user, body)
    form = bind_form(lambda fd: stakeholder_form(account, None, formdata=fd), body)
    person = stakeholders.create_stakeholder(
        session, account, data=form.person_data(), opted_out=form.opted_out.data,
        left=form.left_company.data, user=current_user)
    session.commit()
    return created(stakeholder_item(person, account.slug), person,
                   url_for("api.get_stakeholder", stakeholder_id=person.id, _external=True))


@bp.patch("/stakeholders/<int:stakeholder_id>")
@doc("update_stakeholder", write=True)
def update_stakeholder(stakeholder_id: int) -> Any:
    """Update a stakeholder (only the fields given change). If-Match: its ETag."""
    require_write()
    session = get_session()
    person, account, may_edit = stakeholder_access(session, current_user, stakeholder_id)
    require(may_edit)
    if person.erased_at is not None:
        abort(409, "This person's data was erased; the record cannot be changed.")
    version = expected_version(person)
    form = bind_form(lambda fd: stakeholder_form(account, person, formdata=fd), json_body())
    try:
        stakeholders.update_stakeholder(
            session, person, data=form.person_data(), expected_version=version,
            opted_out=form.opted_out.data, left=form.left_company.data, user=current_user)
    except StaleEditError:
        _conflict_412()
    session.commit()
    return one(stakeholder_item(person, account.slug), person)


__all__ = ["account_slugs", "api"]
