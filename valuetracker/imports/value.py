"""Importing value entries: matched by (account, title, delivered on); beneficiaries are
emails of the account's stakeholders.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from ..models import (
    DRIVERS,
    EVIDENCE_STATUSES,
    UNITS,
    Stakeholder,
    ValueEntry,
    ValueEntryBeneficiary,
)
from . import common
from .common import chunks, differs, key, load_where_in, write_items
from .reading import Field

ENTITY = "value_entry"
# The tables an import of this kind writes to (their statistics are refreshed after it).
TABLES = ("value_entry", "value_entry_beneficiary")
FIELDS = (
    Field("account", required=True),
    Field("title", required=True, max_length=200),
    Field("driver", "choice", required=True, choices=DRIVERS),
    Field("amount", "money", required=True),
    Field("unit", "choice", choices=UNITS, default="currency"),
    Field("delivered_on", "date", required=True),
    Field("evidence_status", "choice", choices=EVIDENCE_STATUSES, default="claimed"),
    Field("description", multiline=True),
    Field("source", max_length=200),
    Field("beneficiaries", "list"),
)
SUGGESTED = {"account_name": "account", "value_driver": "driver", "date": "delivered_on",
             "delivered": "delivered_on"}
_COPIED = ("title", "driver", "amount", "unit", "delivered_on", "evidence_status",
           "description", "source")


def plan(session: Session, rows: list[common.Row], ctx: common.Context) -> common.Plan:
    result = common.Plan()
    accounts = common.AccountIndex(session)
    # An account the importer may not edit is not there for them (same message as none).
    refs = {row.number: ref for row in rows
            if (ref := accounts.find(row.values["account"])) and ctx.may_edit(ref[0])}
    account_ids = sorted({ref[0] for ref in refs.values()})
    dates = [row.values["delivered_on"] for row in rows]
    existing_by_key: dict[tuple[int, str, Any], ValueEntry] = {}
    if dates and account_ids:
        # A described entry (the customer's words) is reviewed on the value page, never
        # matched and overwritten by an import row.
        window = (ValueEntry.delivered_on >= min(dates), ValueEntry.delivered_on <= max(dates),
                  ValueEntry.counted_condition())
        for entry in load_where_in(session, ValueEntry, ValueEntry.account_id, account_ids,
                                   *window):
            existing_by_key.setdefault((entry.account_id, key(entry.title), entry.delivered_on),
                                       entry)
    people = {(s.account_id, key(s.email)): s.id
              for s in load_where_in(session, Stakeholder, Stakeholder.account_id, account_ids)
              if s.email}
    current: dict[int, set[int]] = {}
    for link in load_where_in(session, ValueEntryBeneficiary, ValueEntryBeneficiary.entry_id,
                              [e.id for e in existing_by_key.values()]):
        current.setdefault(link.entry_id, set()).add(link.stakeholder_id)
    seen = common.FirstRows()

    for row in rows:
        values = row.values
        errors = common.RowErrors(ctx, row)

        ref = refs.get(row.number)
        if ref is None:
            errors.add("account", f'no account named or with external id "{values["account"]}"')
            result.errors.extend(errors)
            continue
        account_id = ref[0]
        k = (account_id, key(values["title"]), values["delivered_on"])
        if first := seen.earlier(k, row):
            errors.add("title", f"duplicate entry: same account, title and date as row {first}")
        beneficiaries: list[int] | None = None
        if row.has("beneficiaries"):
            beneficiaries = []
            for email in values["beneficiaries"]:
                stakeholder_id = people.get((account_id, key(email)))
                if stakeholder_id is None:
                    errors.add("beneficiaries",
                               f'no stakeholder with email "{email}" in this account')
                elif stakeholder_id not in beneficiaries:
                    beneficiaries.append(stakeholder_id)
        if errors:
            result.errors.extend(errors)
            continue
        data: dict[str, Any] = {f: values[f] for f in _COPIED if f in values}
        data["account_id"] = account_id
        existing = existing_by_key.get(k)
        item = common.Item(row, existing, data, extra={"beneficiaries": beneficiaries})
        if existing is not None:
            item.data = differs(existing, data)
            changed = beneficiaries is not None and set(beneficiaries) != current.get(
                existing.id, set())
            item.extra["beneficiaries_changed"] = changed
            item.action = "update" if item.data or changed else "unchanged"
        elif ctx.actor is not None:
            data["created_by_id"] = ctx.actor.id
        result.items.append(item)
    return result


def apply(session: Session, result: common.Plan, ctx: common.Context) -> None:
    """Create and update entries, then replace the beneficiary lists that changed."""
    write_items(session, result, ctx, ValueEntry)
    replace = [item for item in result.items if item.extra["beneficiaries"] is not None
               and (item.action == "create" or item.extra.get("beneficiaries_changed"))]
    for batch in chunks([item.extra["id"] for item in replace if item.action == "update"]):
        session.execute(sa.delete(ValueEntryBeneficiary)
                        .where(ValueEntryBeneficiary.entry_id.in_(batch)))
    links = [{"entry_id": item.extra["id"], "stakeholder_id": sid}
             for item in replace for sid in item.extra["beneficiaries"]]
    if links:
        session.execute(sa.insert(ValueEntryBeneficiary), links)
    session.flush()
