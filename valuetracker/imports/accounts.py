"""Importing accounts: matched by external id, else by name."""

from __future__ import annotations

from sqlmodel import Session, select

from ..access import edits_every_account
from ..accounts import free_slug
from ..models import ACCOUNT_STATUSES, TIERS, Account
from . import common
from .common import differs, key, write_items
from .reading import Field, ImportStop

ENTITY = "account"
# The tables an import of this kind writes to (their statistics are refreshed after it).
TABLES = ("account",)
FIELDS = (
    Field("name", required=True, max_length=200),
    Field("external_id", max_length=100),
    Field("segment", max_length=80),
    Field("industry", max_length=80),
    Field("tier", "choice", choices=TIERS, default="standard"),
    Field("status", "choice", choices=ACCOUNT_STATUSES, default="active"),
    Field("owner_email", "email", max_length=255),
    # A user's e-mail or name, else a CRM rep's name kept as written ("not a user").
    Field("owner", max_length=200),
    Field("annual_revenue", "money"),
    Field("cost_to_serve", "money"),
    Field("renewal_date", "date"),
)
# Common CRM headers the web wizard pre-selects (the CLI needs --map for them).
SUGGESTED = {"account_name": "name", "company": "name", "company_name": "name",
             "account_id": "external_id", "id": "external_id",
             "account_owner": "owner", "revenue": "annual_revenue",
             "renewal": "renewal_date"}
_COPIED = ("name", "segment", "industry", "tier", "status", "annual_revenue", "cost_to_serve",
           "renewal_date")


def plan(session: Session, rows: list[common.Row], ctx: common.Context) -> common.Plan:
    """Match each row to an account and check names, ids, owners and permissions."""
    if "owner" in ctx.columns.index and "owner_email" in ctx.columns.index:
        raise ImportStop(f'Columns "{ctx.col("owner_email")}" and "{ctx.col("owner")}" both '
                         "give the account's owner; map one of them to ignore.")
    result = common.Plan()
    accounts = session.exec(select(Account)).all()
    by_external = {key(a.external_id): a for a in accounts if a.external_id}
    by_name = {key(a.name): a for a in accounts}
    owners = common.Owners(session, Account)
    users = owners.users
    seen_external = common.FirstRows()
    seen_name = common.FirstRows()
    actor = ctx.actor
    # A manager imports on their own behalf: new accounts are theirs; owners stay as they are.
    is_manager = actor is not None and not edits_every_account(actor)

    for row in rows:
        values = row.values
        errors = common.RowErrors(ctx, row)

        name = values["name"]
        external = values.get("external_id") or None
        if external and (first := seen_external.earlier(key(external), row)):
            errors.add("external_id", f"duplicate external id (also on row {first})")
        if first := seen_name.earlier(key(name), row):
            errors.add("name", f"duplicate account name (also on row {first})")

        existing = by_external.get(key(external)) if external else None
        if existing is not None:
            other = by_name.get(key(name))
            if other is not None and other is not existing:
                errors.add("name", f'another account is already named "{other.name}"')
        else:
            existing = by_name.get(key(name))
            if (existing is not None and external and existing.external_id
                    and key(existing.external_id) != key(external)):
                errors.add("external_id", f'account "{existing.name}" already has external id '
                                     f'"{existing.external_id}"')

        data = {k: values[k] for k in _COPIED if k in values}
        if external:
            data["external_id"] = external
        if row.has("owner_email"):
            email = values["owner_email"]
            owner_id = users.by_email.get(key(email)) if email else None
            if email and owner_id is None:
                errors.add("owner_email", f'no user with email "{email}"')
            elif is_manager and email and owner_id != actor.id:  # type: ignore[union-attr]
                errors.add("owner_email", "account managers can only import accounts they own")
            elif not is_manager:
                data["owner_id"], data["owner_name"] = owner_id, None
        elif row.has("owner"):
            owner_id, owner_name = owners.find(values["owner"])
            if is_manager and values["owner"] and owner_id != actor.id:  # type: ignore[union-attr]
                errors.add("owner", "account managers can only import accounts they own")
            elif not is_manager:
                data["owner_id"], data["owner_name"] = owner_id, owner_name
        if existing is not None and not ctx.may_edit(existing.id):
            errors.add("name", "account not yours")
        if existing is None and is_manager:
            data["owner_id"] = actor.id  # type: ignore[union-attr]

        if errors:
            result.errors.extend(errors)
            continue
        if existing is None:
            result.items.append(common.Item(row, None, data, "create"))
        else:
            changed = differs(existing, data)
            action = "update" if changed else "unchanged"
            result.items.append(common.Item(row, existing, changed, action))
    return result


def apply(session: Session, result: common.Plan, ctx: common.Context) -> None:
    """Create the new accounts (unique slugs) and update changed ones (version bumped)."""
    slugs = set(session.exec(select(Account.slug)).all())
    for item in result.items:
        if item.action == "create":
            item.data["slug"] = free_slug(item.data["name"], slugs)
            slugs.add(item.data["slug"])
    write_items(session, result, ctx, Account)
