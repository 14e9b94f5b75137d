"""Importing deals from CRM exports: matched by external id; outcome words from common
CRMs recognised; competitors resolved through their aliases.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from .. import events
from ..competitors import _key as competitor_key
from ..competitors import competitor_index, resolve_competitors
from ..models import CLOSED_OUTCOMES, OUTCOMES, ROLLUP_DEALS, Deal, DealCompetitor
from . import common
from .common import chunks, differs, key, load_where_in, write_items
from .reading import Field, norm_word

ENTITY = "deal"
# The tables an import of this kind writes to (their statistics are refreshed after it).
# Program rules queue interviews for the imported deals.
TABLES = ("deal", "deal_competitor", "competitor", "winloss_interview")

# Outcome and stage words of common CRMs (Salesforce, HubSpot, Pipedrive...), normalised.
OPEN_STAGES = (
    "open", "new", "prospect", "prospecting", "lead", "engaging", "engaged", "discovery",
    "qualification", "qualified", "qualify", "needs_analysis", "value_proposition",
    "id_decision_makers", "perception_analysis", "demo", "demo_scheduled", "evaluation",
    "solution", "proposal", "proposal_price_quote", "proposal_sent", "quote",
    "negotiation", "negotiation_review", "contract_sent", "commit", "best_case",
    "pipeline", "in_progress", "appointment_scheduled", "presentation_scheduled",
    "decision_maker_bought_in", "verbal", "closing",
)
OUTCOME_WORDS: dict[str, str] = {
    **{stage: "open" for stage in OPEN_STAGES},
    "won": "won", "closed_won": "won", "win": "won", "closedwon": "won",
    "lost": "lost", "closed_lost": "lost", "loss": "lost", "closedlost": "lost",
    "no_decision": "no_decision", "closed_no_decision": "no_decision",
    "nodecision": "no_decision", "no_decision_made": "no_decision",
}

FIELDS = (
    Field("external_id", max_length=100),
    Field("account"),
    Field("name", max_length=200),
    Field("amount", "money"),
    Field("product", max_length=120),
    Field("owner", max_length=200),
    Field("opened_on", "date"),
    Field("closed_on", "date"),
    Field("outcome", "choice", required=True, choices=OUTCOMES, aliases=OUTCOME_WORDS,
          stop_on_unknown=True),
    Field("competitors", "list"),
    Field("primary_competitor"),
)
SUGGESTED = {"opportunity_id": "external_id", "deal_id": "external_id", "id": "external_id",
             "account_name": "account", "opportunity_name": "name", "deal_name": "name",
             "stage": "outcome", "deal_stage": "outcome", "status": "outcome",
             "created_date": "opened_on", "close_date": "closed_on",
             "opportunity_owner": "owner", "deal_owner": "owner"}
_COPIED = ("amount", "product", "opened_on", "closed_on", "outcome")

assert all(norm_word(w) == w for w in OUTCOME_WORDS)


def plan(session: Session, rows: list[common.Row], ctx: common.Context) -> common.Plan:
    result = common.Plan()
    accounts = common.AccountIndex(session)
    owners = common.Owners(session, Deal)
    externals = [row.values["external_id"] for row in rows if row.values.get("external_id")]
    deals = load_where_in(session, Deal, Deal.external_id, externals)
    by_external = {key(d.external_id): d for d in deals}
    current_competitors: dict[int, set[int]] = {}
    for link in load_where_in(session, DealCompetitor, DealCompetitor.deal_id,
                              [d.id for d in deals]):
        current_competitors.setdefault(link.deal_id, set()).add(link.competitor_id)
    index = competitor_index(session)
    seen = common.FirstRows()

    for row in rows:
        values = row.values
        errors = common.RowErrors(ctx, row)

        external = values.get("external_id") or None
        if external and (first := seen.earlier(key(external), row)):
            errors.add("external_id", f"duplicate external id (also on row {first})")
        existing = by_external.get(key(external)) if external else None
        data: dict[str, Any] = {k: values[k] for k in _COPIED if k in values}
        if external:
            data["external_id"] = external
        closed = values["outcome"] in CLOSED_OUTCOMES

        account_name = None
        if values.get("account"):
            found = accounts.find(values["account"])
            if found is None:
                errors.add("account", f'no account named or with external id "{values["account"]}"')
            else:
                data["account_id"], account_name = found
        elif row.has("account"):
            data["account_id"] = None
        account_id = data.get("account_id", existing.account_id if existing else None)
        if closed and account_id is None:
            errors.add("account", "closed deals need an account (open deals may have none)")
        closed_on = data.get("closed_on", existing.closed_on if existing else None)
        if closed and closed_on is None:
            errors.add("closed_on", "closed deals need a close date")
        if row.has("owner"):
            # A user when one matches, else the rep's name as written (most CRM reps
            # never become users of the app).
            data["owner_id"], data["owner_name"] = owners.find(values.get("owner"))
        if values.get("name"):
            data["name"] = values["name"]
        elif existing is None:
            parts = [account_name, values.get("product")]
            data["name"] = (" – ".join(p for p in parts if p) or external or "Imported deal")[:200]

        names: list[str] = []
        if row.has("primary_competitor") or row.has("competitors"):
            primary = values.get("primary_competitor") or ""
            names = ([primary] if primary else []) + list(values.get("competitors") or [])
        if errors:
            result.errors.extend(errors)
            continue
        item = common.Item(row, existing, data)
        if row.has("primary_competitor") or row.has("competitors"):
            item.extra["competitors"] = names
            item.extra["primary"] = bool(values.get("primary_competitor"))
        if existing is None:
            item.action = "create"
        else:
            item.data = differs(existing, data)
            competitors_changed = False
            if "competitors" in item.extra:
                resolved = [index.get(competitor_key(n)) for n in names]
                if any(c is None for c in resolved):
                    competitors_changed = True
                else:
                    ids = {c.id for c in resolved}  # type: ignore[union-attr]
                    primary_id = resolved[0].id if item.extra["primary"] else None  # type: ignore[union-attr]
                    competitors_changed = (ids != current_competitors.get(existing.id, set())
                                           or primary_id != existing.primary_competitor_id)
            item.extra["competitors_changed"] = competitors_changed
            item.action = "update" if item.data or competitors_changed else "unchanged"
        result.items.append(item)
    return result


def apply(session: Session, result: common.Plan, ctx: common.Context) -> None:
    """Create and update deals, then replace the competitor lists that changed; emits
    deal.closed for each deal the file closed (`closed_deal_ids`)."""
    write_items(session, result, ctx, Deal)
    closed = set(closed_deal_ids(result))
    for item in result.items:
        if item.extra["id"] in closed:
            # An updated deal's object already holds the file's values (write_items).
            def value(name: str, item: common.Item = item) -> Any:
                return item.data.get(name) if item.obj is None else getattr(item.obj, name)
            closed_on, amount = value("closed_on"), value("amount")
            events.emit(session, "deal.closed", account_id=value("account_id"), entity="deal",
                        entity_id=item.extra["id"], user=ctx.actor,
                        data={"name": value("name"), "outcome": value("outcome"),
                              "amount": None if amount is None else str(amount),
                              "closed_on": closed_on.isoformat() if closed_on else None,
                              "external_id": value("external_id"), "via": "import"})

    index = competitor_index(session)
    replace = [item for item in result.items if "competitors" in item.extra
               and (item.action == "create" or item.extra.get("competitors_changed"))]
    for batch in chunks([item.extra["id"] for item in replace if item.action == "update"]):
        session.execute(sa.delete(DealCompetitor).where(DealCompetitor.deal_id.in_(batch))
                        .execution_options(**{ROLLUP_DEALS: tuple(batch)}))
    links: list[dict[str, int]] = []
    primaries: list[dict[str, Any]] = []
    for item in replace:
        found = resolve_competitors(session, item.extra["competitors"], index=index)
        primary = found[0].id if found and item.extra["primary"] else None
        primaries.append({"id": item.extra["id"], "primary_competitor_id": primary})
        if item.obj is not None:
            # Keep the loaded object in step without another query per row.
            set_committed_value(item.obj, "primary_competitor_id", primary)
        links.extend({"deal_id": item.extra["id"], "competitor_id": c.id} for c in found)
    if links:
        session.execute(sa.insert(DealCompetitor).execution_options(
            **{ROLLUP_DEALS: tuple({link["deal_id"] for link in links})}), links)
    # One executemany UPDATE by primary key, not a statement per deal.
    if primaries:
        # The primary competitor: not a figure of the win/loss rollup.
        session.execute(sa.update(Deal).execution_options(synchronize_session=False,
                                                          **{ROLLUP_DEALS: ()}),
                        primaries)



def closed_deal_ids(result: common.Plan) -> list[int]:
    """The deals this (applied) import created closed, or closed: program rules apply to them.

    Deals that were already closed are left alone, so re-importing a file or changing
    an old deal's amount never requests an interview the program did not ask for then.
    """
    return [item.extra["id"] for item in result.items
            if (item.action == "create" and item.data.get("outcome") in CLOSED_OUTCOMES)
            or (item.action == "update" and item.data.get("outcome") in CLOSED_OUTCOMES)]


__all__ = ["ENTITY", "FIELDS", "OUTCOME_WORDS", "plan", "apply", "closed_deal_ids"]
