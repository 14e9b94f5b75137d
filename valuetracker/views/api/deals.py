"""/api/v1/deals (with competitors and the rep's debrief): the deal list's filters, the
deal form and `winloss.deals`' write functions."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request
from flask_login import current_user
from sqlmodel import select

from ...access import deal_access, get_deal_for_user, may_edit_deals, require
from ...db import get_session, id_arg
from ...forms import choices
from ...models import CLOSED_OUTCOMES, OUTCOMES, Account, Competitor, Deal, DealCompetitor, User
from ...winloss.deal_list import DealFilters, deal_list_conditions
from ...winloss.deals import create_deal as create_deal_row
from ...winloss.deals import debrief_deal
from ...winloss.deals import update_deal as update_deal_row
from ...winloss.errors import WinLossError
from ...winloss.forms import DealForm, DebriefForm, factor_choices
from ...winloss.taxonomy import list_factors
from . import _core as core
from ._core import Invalid, account_key, bp, fields, one
from .spec import doc

DEAL_FIELDS = ("id", "account_id", "name", "external_id", "amount", "product", "owner_id",
               "opened_on", "closed_on", "outcome", "rep_reason_id", "rep_notes", "version",
               "created_at", "updated_at")


def deal_items(deals: list[Deal]) -> list[dict[str, Any]]:
    """Deals with their account's slug, competitors and primary competitor: two queries
    for the page."""
    session = get_session()
    ids = [d.id for d in deals]
    names: dict[int, list[str]] = {i: [] for i in ids}
    by_id: dict[int, str] = {}
    if ids:
        for deal_id, competitor_id, name in session.exec(
                select(DealCompetitor.deal_id, Competitor.id, Competitor.name)
                .join(Competitor, Competitor.id == DealCompetitor.competitor_id)
                .where(DealCompetitor.deal_id.in_(ids)).order_by(Competitor.name)):
            names[deal_id].append(name)
            by_id[competitor_id] = name
    slugs: dict[int, str] = {}
    account_ids = sorted({d.account_id for d in deals if d.account_id})
    if account_ids:
        slugs = dict(session.exec(select(Account.id, Account.slug)
                                  .where(Account.id.in_(account_ids))).all())
    return [{**fields(d, DEAL_FIELDS), "account": slugs.get(d.account_id or 0),
             "competitors": names[d.id],
             "primary_competitor": by_id.get(d.primary_competitor_id or 0)} for d in deals]


@bp.get("/deals")
@doc("list_deals")
def list_deals() -> Any:
    """List deals (the deal list's filters: `outcome`, `q`, `competitor`, `account`)."""
    session = get_session()
    args = request.args
    outcome = core.one_of("outcome", OUTCOMES)
    account_id = None
    if args.get("account"):
        from ...access import get_account_for_user

        account_id = get_account_for_user(session, current_user,
                                          account_key(args["account"])).id
    query = (select(Deal).join(Account, Account.id == Deal.account_id, isouter=True)
             .where(*deal_list_conditions(current_user, DealFilters(
                 outcome=outcome, q=args.get("q", "").strip()[:100] or None,
                 competitor_id=id_arg(args.get("competitor")), account_id=account_id))))
    return core.listed(query, Deal.id, deal_items, since=Deal.updated_at)


@bp.get("/deals/<int:deal_id>")
@doc("get_deal")
def get_deal(deal_id: int) -> Any:
    """Read one deal, with its competitors and debrief."""
    deal, _may_edit = deal_access(get_session(), current_user, deal_id)
    return one(deal_items([deal])[0], deal)


def _deal_form(deal: Deal | None):  # type: ignore[no-untyped-def]
    session = get_session()
    from ...access import account_scope

    accounts = session.exec(select(Account.id, Account.name)
                            .where(account_scope(current_user, Account.id))).all()
    users = session.exec(select(User.id, User.name).where(User.active.is_(True))).all()
    competitor_text = ""
    primary = ""
    if deal is not None:
        item = deal_items([deal])[0]
        competitor_text = "; ".join(item["competitors"])
        primary = item["primary_competitor"] or ""

    def make(formdata: Any) -> DealForm:
        form = core.form_of(DealForm, formdata, obj=deal)
        form.account_id.choices = choices({str(i): n for i, n in accounts}, blank="—")
        form.owner_id.choices = choices({str(i): n for i, n in users}, blank="—")
        if formdata is None:
            form.account_id.data = str(deal.account_id or "") if deal else ""
            form.owner_id.data = str(deal.owner_id or "") if deal else str(current_user.id)
            form.competitors.data = competitor_text
            form.primary_competitor.data = primary
        return form
    return make


def _body(body: dict[str, Any]) -> dict[str, Any]:
    """The JSON names (the import format's) as the form's: `account` (id or slug) is
    the account select's id, `competitors` may be a list."""
    body = dict(body)
    if "account" in body:
        raw = body["account"]
        if raw in (None, ""):
            body["account"] = ""
        else:
            key = account_key(raw)
            if isinstance(key, str):
                found = get_session().exec(select(Account.id).where(Account.slug == key)).first()
                key = found or 0
            body["account"] = str(key)
    if isinstance(body.get("competitors"), list):
        if any(not isinstance(c, str) for c in body["competitors"]):
            raise Invalid({"competitors": ["A list of names."]})
        body["competitors"] = "; ".join(body["competitors"])
    return body


def _saved(form: DealForm, deal: Deal | None, version: int | None) -> Deal:
    session = get_session()
    competitors, primary = form.competitor_names()
    try:
        if deal is None:
            return create_deal_row(session, data=form.data_dict(), competitors=competitors,
                                   primary_competitor=primary, user=current_user).deal
        return update_deal_row(session, deal, data=form.data_dict(), expected_version=version,
                               competitors=competitors, primary_competitor=primary,
                               user=current_user).deal
    except WinLossError as exc:
        session.rollback()
        name = {"account_id": "account"}.get(exc.field or "", exc.field or "deal")
        raise Invalid({name: exc.messages}) from None


@bp.post("/deals")
@doc("create_deal", write=True, created=True)
def create_deal() -> Any:
    """Add a deal (`account`: an id or slug, optional while open; `competitors`: names)."""
    core.writing()
    require(may_edit_deals(current_user))
    form = core.bind_form(_deal_form(None), _body(core.json_body()),
                          rename={"account": "account_id"})
    return core.saved_new(lambda: _saved(form, None, None),
                          lambda deal: deal_items([deal])[0], "api.get_deal", "deal_id")


@bp.patch("/deals/<int:deal_id>")
@doc("update_deal", write=True)
def update_deal(deal_id: int) -> Any:
    """Update a deal (only the fields given change). If-Match: its ETag."""
    session = core.writing()
    deal = get_deal_for_user(session, current_user, deal_id, write=True)
    return core.updated(deal, _deal_form(deal), lambda form, version: _saved(form, deal, version),
                        lambda: deal_items([deal])[0], body=_body(core.json_body()),
                        rename={"account": "account_id"})


# --- the rep's debrief ----------------------------------------------------------------------


def _debrief_form(deal: Deal):  # type: ignore[no-untyped-def]
    """The debrief form as its web page builds it (the active factors as reasons; a deal
    still open is offered as won, closed today)."""
    factors = list_factors(get_session(), active_only=True)

    def make(formdata: Any) -> DebriefForm:
        form = core.form_of(DebriefForm, formdata, obj=deal)
        form.rep_reason_id.choices = factor_choices(factors, blank="Choose…")
        if formdata is None:
            form.rep_reason_id.data = str(deal.rep_reason_id or "")
            form.closed_on.data = deal.closed_on or date.today()
            if deal.outcome not in CLOSED_OUTCOMES:
                form.outcome.data = "won"
        return form
    return make


@bp.patch("/deals/<int:deal_id>/debrief")
@doc("update_deal_debrief", write=True)
def update_deal_debrief(deal_id: int) -> Any:
    """The rep's debrief on closing: `outcome` (won, lost, no decision), `closed_on`,
    `rep_reason_id` (a decision factor's id), `rep_notes`; may request an interview, as on
    the web. Only the fields given change. If-Match: the deal's ETag."""
    session = core.writing()
    deal = get_deal_for_user(session, current_user, deal_id, write=True)

    def write(form: DebriefForm, version: int) -> None:
        try:
            debrief_deal(session, deal, data=form.data_dict(), expected_version=version,
                         user=current_user)
        except WinLossError as exc:
            session.rollback()
            raise Invalid({exc.field or "outcome": exc.messages}) from None

    return core.updated(deal, _debrief_form(deal), write, lambda: deal_items([deal])[0])
