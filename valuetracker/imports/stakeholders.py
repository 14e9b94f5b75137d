"""Importing stakeholders: matched within the row's account by external id, else email,
else name; `reports_to` may name a person already known or a row of the same file.

An import never moves a person between accounts: an external id that belongs to a
stakeholder of another account the importer may edit is a row error. Accounts the
importer may not edit are invisible to the import: a row naming one reads exactly like a
row naming no account, and their stakeholders' external ids match nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from .. import events
from ..models import BUYING_ROLES, SENTIMENTS, Stakeholder
from . import common
from .common import differs, key, load_where_in, write_items
from .reading import Field, RowError

ENTITY = "stakeholder"
# The tables an import of this kind writes to (their statistics are refreshed after it).
TABLES = ("stakeholder",)
FIELDS = (
    Field("account", required=True),
    Field("name", required=True, max_length=200),
    Field("title", max_length=200),
    Field("email", "email", max_length=255),
    Field("phone", max_length=60),
    Field("buying_role", "choice", choices=BUYING_ROLES, default="other"),
    Field("influence", "int", default=3, minimum=1, maximum=5),
    Field("sentiment", "choice", choices=SENTIMENTS, default="neutral"),
    Field("is_key", "bool", default=False),
    Field("reports_to"),
    Field("preferences", multiline=True),
    Field("opted_out", "flagdate"),
    Field("left_company", "flagdate"),
    Field("external_id", max_length=100),
)
SUGGESTED = {"account_name": "account", "company": "account", "full_name": "name",
             "contact_name": "name", "job_title": "title", "email_address": "email",
             "role": "buying_role", "manager": "reports_to", "contact_id": "external_id",
             "id": "external_id"}
_COPIED = ("name", "title", "email", "phone", "buying_role", "influence", "sentiment",
           "is_key", "preferences")
_FLAGS = {"opted_out": "opted_out_at", "left_company": "left_company_at"}
# The event of each mark, when the file sets it on someone who did not have it.
_EVENTS = {"opted_out_at": "stakeholder.opted_out", "left_company_at": "stakeholder.left"}

# A person a `reports_to` can point at: ("s", stakeholder id) or ("i", index of a new item).
Token = tuple[str, int]


def _flag(column: str, value: Any, current: datetime | None, now: datetime) -> datetime | None:
    """yes keeps an earlier timestamp (or now), a date sets it, an empty cell keeps what
    is recorded (a CRM export that does not track it must not erase it). `no` clears a
    departure, but never an opt-out: that is the person's own word, withdrawn only on the
    stakeholder's page, so no import can put someone back on the mailing list."""
    if value is True:
        return current or now
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    if value is None or column == "opted_out":
        return current
    return None


def plan(session: Session, rows: list[common.Row], ctx: common.Context) -> common.Plan:
    result = common.Plan()
    accounts = common.AccountIndex(session)
    # An account the importer may not edit is not there for them (same message as none).
    refs = {row.number: ref for row in rows
            if (ref := accounts.find(row.values["account"])) and ctx.may_edit(ref[0])}
    account_ids = {ref[0] for ref in refs.values()}
    known = load_where_in(session, Stakeholder, Stakeholder.account_id, list(account_ids))
    externals = [row.values["external_id"] for row in rows if row.values.get("external_id")]
    # External ids are unique per account: a row matches only in its own account.
    by_external = {(s.account_id, key(s.external_id)): s for s in known if s.external_id}
    # Elsewhere only in accounts the importer may edit, to refuse moving that person.
    elsewhere = {key(s.external_id): s for s in load_where_in(
        session, Stakeholder, Stakeholder.external_id, externals)
        if s.account_id not in account_ids and ctx.may_edit(s.account_id)}
    by_email = {(s.account_id, key(s.email)): s for s in known if s.email}
    by_name: dict[tuple[int, str], list[Stakeholder]] = {}
    for s in known:
        by_name.setdefault((s.account_id, key(s.name)), []).append(s)

    seen = common.FirstRows()
    candidates: list[common.Item] = []
    for row in rows:
        values = row.values
        errors = common.RowErrors(ctx, row)

        ref = refs.get(row.number)
        external = values.get("external_id") or None
        email = values.get("email") or None
        if ref is None:
            errors.add("account", f'no account named or with external id "{values["account"]}"')
            result.errors.extend(errors)
            continue
        account_id = ref[0]
        keys = []
        if external:
            keys.append((("external", account_id, key(external)), "external_id"))
        if email:
            keys.append((("email", account_id, key(email)), "email"))
        if not external and not email:
            keys.append((("name", account_id, key(values["name"])), "name"))
        for k, column in keys:
            if first := seen.earlier(k, row):
                errors.add(column, f"duplicate {column.replace('_', ' ')} (also on row {first})")

        existing = by_external.get((account_id, key(external))) if external else None
        other = elsewhere.get(key(external)) if external and existing is None else None
        if other is not None and other.account_id != account_id:
            errors.add("external_id", f'external id "{external}" belongs to {other.name} of '
                  "another account; an import does not move people between accounts "
                  "(change the account in the file, or the person's external id)")
        if existing is None and email:
            existing = by_email.get((account_id, key(email)))
        owner = by_email.get((account_id, key(email))) if email else None
        if owner is not None and existing is not None and owner.id != existing.id:
            # Two people at one account never share an address (as in the form).
            errors.add("email", f"{email} already belongs to {owner.name} at this account "
                           f"(stakeholder #{owner.id})")
        if existing is None and not external and not email:
            same = by_name.get((account_id, key(values["name"])), [])
            if len(same) > 1:
                errors.add("name", "several stakeholders of this account have this name; "
                              "add an email or external id")
            existing = same[0] if len(same) == 1 else None

        data: dict[str, Any] = {k: values[k] for k in _COPIED if k in values}
        data["account_id"] = account_id
        if external:
            data["external_id"] = external
        for column, attr in _FLAGS.items():
            if row.has(column):
                current = getattr(existing, attr) if existing is not None else None
                data[attr] = _flag(column, values[column], current, ctx.now)
                if attr == "opted_out_at" and data[attr] != current:
                    data["opted_out_via"] = None  # the file's mark, not the person's own
        if errors:
            result.errors.extend(errors)
            continue
        candidates.append(common.Item(row, existing, data))

    _resolve_reports_to(candidates, known, result, ctx)
    for item in result.items:
        if item.obj is None:
            item.action = "create"
        else:
            item.data = differs(item.obj, item.data)
            target = item.extra.get("reports_to", "keep")
            if target != "keep" and (
                    (target is None and item.obj.reports_to_id is not None)
                    or (target is not None and (target[0] == "i"
                                                or target[1] != item.obj.reports_to_id))):
                item.extra["reports_to_changed"] = True
            changed = bool(item.data) or item.extra.get("reports_to_changed", False)
            item.action = "update" if changed else "unchanged"
    return result


def _resolve_reports_to(candidates: list[common.Item], known: list[Stakeholder],
                        result: common.Plan, ctx: common.Context) -> None:
    """Point each row's reports_to at a known stakeholder or a row of the file.

    Rows rejected here may be the target of other rows, so repeat until stable.
    """
    valid = list(candidates)
    while True:
        tokens: dict[int, Token] = {}
        by_email: dict[tuple[int, str], set[Token]] = {}
        by_name: dict[tuple[int, str], set[Token]] = {}
        for s in known:
            token: Token = ("s", s.id)  # type: ignore[assignment]
            if s.email:
                by_email.setdefault((s.account_id, key(s.email)), set()).add(token)
            by_name.setdefault((s.account_id, key(s.name)), set()).add(token)
        for i, item in enumerate(valid):
            token = ("s", item.obj.id) if item.obj is not None else ("i", i)
            tokens[i] = token
            account_id = item.data["account_id"]
            if item.data.get("email"):
                by_email.setdefault((account_id, key(item.data["email"])), set()).add(token)
            if item.data.get("name"):
                by_name.setdefault((account_id, key(item.data["name"])), set()).add(token)

        rejected: set[int] = set()
        for i, item in enumerate(valid):
            if not item.row.has("reports_to"):
                item.extra["reports_to"] = "keep"
                continue
            ref = item.row.values["reports_to"]
            if not ref:
                item.extra["reports_to"] = None
                continue
            account_id = item.data["account_id"]
            found = by_email.get((account_id, key(ref))) or by_name.get((account_id, key(ref)))
            reason = None
            if not found:
                reason = f'no stakeholder "{ref}" in this account (by email or name)'
            elif len(found) > 1:
                reason = f'several stakeholders match "{ref}"; use their email'
            elif next(iter(found)) == tokens[i]:
                reason = "a stakeholder cannot report to themselves"
            if reason:
                result.errors.append(RowError(item.row.number, ctx.col("reports_to"), reason))
                rejected.add(i)
            else:
                item.extra["reports_to"] = next(iter(found))
        if not rejected:
            break
        valid = [item for i, item in enumerate(valid) if i not in rejected]
        # Items pointing at a now-rejected row are re-checked in the next round.
    result.items = valid


def apply(session: Session, result: common.Plan, ctx: common.Context) -> None:
    """Create and update stakeholders, then set reports-to once every row has an id;
    emits stakeholder.left / stakeholder.opted_out for the marks the file sets."""
    started = [(item, name) for item in result.items if item.action in ("create", "update")
               for attr, name in _EVENTS.items()
               if item.data.get(attr) is not None
               and (item.obj is None or getattr(item.obj, attr) is None)]
    write_items(session, result, ctx, Stakeholder)
    for item, name in started:
        def value(field: str, item: common.Item = item) -> Any:
            return item.data.get(field) if item.obj is None else getattr(item.obj, field)
        events.emit(session, name, account_id=value("account_id"), entity="stakeholder",
                    entity_id=item.extra["id"], user=ctx.actor,
                    data={"name": value("name"), "is_key": bool(value("is_key")),
                          "buying_role": value("buying_role"), "via": "import"})
    # reports_to once every row has an id: one executemany UPDATE by primary key.
    changes: list[dict[str, Any]] = []
    for item in result.items:
        target = item.extra.get("reports_to", "keep")
        if target == "keep" or item.action == "unchanged":
            continue
        if target is None:
            manager_id = None
        elif target[0] == "s":
            manager_id = target[1]
        else:
            manager_id = result.items[target[1]].extra["id"]
        changes.append({"id": item.extra["id"], "reports_to_id": manager_id})
        if item.obj is not None:
            # Keep the loaded object in step without another query per row.
            set_committed_value(item.obj, "reports_to_id", manager_id)
    if changes:
        session.execute(sa.update(Stakeholder).execution_options(synchronize_session=False),
                        changes)
