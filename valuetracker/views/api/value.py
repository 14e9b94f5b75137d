"""/api/v1/value-entries (with confirmations), /api/v1/commitments, /api/v1/pulses: the
value forms and `valuetracker.value`'s write functions."""

from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_login import current_user
from sqlmodel import Session, select

from ... import value as domain
from ...access import account_scope, get_account_for_user, get_account_stakeholder
from ...db import get_session, id_arg
from ...forms import choices
from ...imports import value as value_import
from ...models import (
    Account,
    LoyaltyPulse,
    ValueCommitment,
    ValueConfirmation,
    ValueEntry,
    ValueEntryBeneficiary,
)
from ...quarters import Quarter
from ...value.entries import entry_filters
from ...value.forms import CommitmentForm, EntryForm, RecordPulseForm
from .._request import quarter_arg
from . import _core as core
from ._core import Invalid, bp, fields, form_of, one, plain
from .spec import doc

ENTRY_FIELDS = ("id", "title", "description", "driver", "amount", "unit", "delivered_on",
                "evidence_status", "source", "commitment_id", "version", "created_at",
                "updated_at")
CONFIRMATION_FIELDS = ("id", "stakeholder_id", "response", "adjusted_amount", "comment",
                       "method", "responded_at")
COMMITMENT_FIELDS = ("id", "title", "description", "driver", "expected_amount", "unit",
                     "due_on", "status", "delivered_on", "version", "created_at", "updated_at")
PULSE_FIELDS = ("id", "stakeholder_id", "taken_on", "satisfaction", "repurchase_intent",
                "recommend", "positive_emotion", "emotion_text", "driver_ranking", "comment",
                "method", "created_at")
# A new entry's defaults are the import format's (a CSV row and a JSON object agree).
ENTRY_DEFAULTS = {f.name: f.default for f in value_import.FIELDS
                  if f.default is not None and f.name in ("unit", "evidence_status")}


def _int_choices(pairs: list[tuple[int, str]], blank: str | None = None) -> list[Any]:
    return choices({str(k): v for k, v in pairs}, blank=blank)


def _people_choices(account: Account) -> list[Any]:
    people = domain.account_stakeholders(get_session(), account_id=account.id)
    return _int_choices([(p.id, p.name) for p in people])


def _scoped(model: Any) -> Any:
    """`model`'s rows with their account's slug, of the accounts the user sees, limited
    to the `account` argument's."""
    return core.in_account(select(model, Account.slug)
                           .join(Account, Account.id == model.account_id)
                           .where(account_scope(current_user, model.account_id)),
                           model.account_id)


def _quarter_arg() -> Quarter | None:
    errors: list[str] = []
    quarter = quarter_arg(errors=errors)  # the web list's reading of ?quarter=
    if errors:
        raise Invalid({"quarter": errors})
    return quarter


# --- value entries ------------------------------------------------------------------------


def entry_items(rows: list[tuple[ValueEntry, str]]) -> list[dict[str, Any]]:
    """Entries with their beneficiaries and confirmations: two queries for the page."""
    session = get_session()
    ids = [entry.id for entry, _slug in rows]
    people: dict[int, list[int]] = {i: [] for i in ids}
    answers: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        for entry_id, sid in session.exec(
                select(ValueEntryBeneficiary.entry_id, ValueEntryBeneficiary.stakeholder_id)
                .where(ValueEntryBeneficiary.entry_id.in_(ids))
                .order_by(ValueEntryBeneficiary.stakeholder_id)):
            people[entry_id].append(sid)
        for answer in session.exec(select(ValueConfirmation).where(
                ValueConfirmation.entry_id.in_(ids)).order_by(ValueConfirmation.id)):
            answers[answer.entry_id].append(fields(answer, CONFIRMATION_FIELDS))
    return [{**fields(entry, ENTRY_FIELDS), "account": slug, "account_id": entry.account_id,
             "beneficiaries": people[entry.id], "confirmations": answers[entry.id]}
            for entry, slug in rows]


def _entry(entry_id: int, *, write: bool = False) -> tuple[Account, ValueEntry]:
    session = get_session()
    row = session.get(ValueEntry, entry_id)
    if row is None:
        abort(404)
    return domain_lookup(row.account_id, entry_id, write=write)


def domain_lookup(account_id: int, entry_id: int, *, write: bool) -> tuple[Account, ValueEntry]:
    from ...access import get_entry_for_user

    return get_entry_for_user(get_session(), current_user, account_id, entry_id, write=write)


@bp.get("/value-entries")
@doc("list_value_entries")
def list_value_entries() -> Any:
    """List value entries (the value log's filters: `account`, `quarter`, `driver`,
    `evidence_status`), with beneficiaries and confirmations."""
    args = request.args
    query = _scoped(ValueEntry).where(*entry_filters(
        account_id=None, quarter=_quarter_arg(), driver=args.get("driver") or None,
        status=args.get("evidence_status") or None))
    return core.listed(query, ValueEntry.id, entry_items, since=ValueEntry.updated_at)


@bp.get("/value-entries/<int:entry_id>")
@doc("get_value_entry")
def get_value_entry(entry_id: int) -> Any:
    """Read one value entry, with its beneficiaries and confirmations."""
    account, entry = _entry(entry_id)
    return one(entry_items([(entry, account.slug)])[0], entry)


def _entry_form(account: Account, entry: ValueEntry | None):  # type: ignore[no-untyped-def]
    def make(formdata: Any) -> EntryForm:
        extra = {} if entry is not None else ENTRY_DEFAULTS
        form = form_of(EntryForm, formdata, obj=entry, **extra)
        form.beneficiaries.choices = _people_choices(account)
        if entry is not None and formdata is None:
            form.beneficiaries.data = domain.beneficiary_ids(get_session(), entry.id)
        return form
    return make


@bp.post("/value-entries")
@doc("create_value_entry", write=True, created=True)
def create_value_entry() -> Any:
    """Add a value entry to an account (`account`: its id or slug). Answers 201 with
    the entry and its Location."""
    session, account, form = core.new_in_account(lambda a: _entry_form(a, None))
    return core.saved_new(
        lambda: domain.create_entry(session, account, form.data_dict(),
                                    beneficiaries=form.beneficiaries.data or [],
                                    user=current_user),
        lambda entry: entry_items([(entry, account.slug)])[0],
        "api.get_value_entry", "entry_id")


def _entry_to_edit(entry_id: int) -> tuple[Session, Account, ValueEntry]:
    """The start of an entry's update: a write token (403), then the account and the
    entry as the web's edit form finds them (404 out of scope, 403 for readers); a
    described entry is reviewed on the value page first (409)."""
    session = core.writing()
    account, entry = _entry(entry_id, write=True)
    if entry.is_described:
        abort(409, "The customer described this value; review it on the value page first.")
    return session, account, entry


@bp.patch("/value-entries/<int:entry_id>")
@doc("update_value_entry", write=True)
def update_value_entry(entry_id: int) -> Any:
    """Update a value entry (only the fields given change). If-Match: its ETag."""
    session, account, entry = _entry_to_edit(entry_id)
    return core.updated(
        entry, _entry_form(account, entry),
        lambda form, version: domain.update_entry(
            session, entry, form.data_dict(), expected_version=version,
            beneficiaries=form.beneficiaries.data or [], user=current_user),
        lambda: entry_items([(entry, account.slug)])[0])


@bp.delete("/value-entries/<int:entry_id>")
@doc("delete_value_entry", write=True, deleted=True)
def delete_value_entry(entry_id: int) -> Any:
    """Delete a value entry with its confirmations. If-Match: its ETag."""
    session = core.writing()
    _account, entry = _entry(entry_id, write=True)
    return core.deleted(entry, lambda: domain.delete_entry(session, entry, user=current_user))


# --- commitments --------------------------------------------------------------------------


def commitment_items(rows: list[tuple[ValueCommitment, str]]) -> list[dict[str, Any]]:
    ids = [c.id for c, _slug in rows]
    delivered: dict[int, int] = {}
    if ids:
        delivered = dict(get_session().exec(
            select(ValueEntry.commitment_id, ValueEntry.id)
            .where(ValueEntry.commitment_id.in_(ids))).all())
    return [{**fields(c, COMMITMENT_FIELDS), "account": slug, "account_id": c.account_id,
             "delivered_by": delivered.get(c.id)} for c, slug in rows]


def _commitment(commitment_id: int, *, write: bool = False
                ) -> tuple[Account, ValueCommitment]:
    from ...access import get_commitment_for_user

    row = get_session().get(ValueCommitment, commitment_id)
    if row is None:
        abort(404)
    return get_commitment_for_user(get_session(), current_user, row.account_id, commitment_id,
                                   write=write)


@bp.get("/commitments")
@doc("list_commitments")
def list_commitments() -> Any:
    """List value commitments (`account`, `status`)."""
    query = _scoped(ValueCommitment)
    if request.args.get("status"):
        query = query.where(ValueCommitment.status == request.args["status"])
    return core.listed(query, ValueCommitment.id, commitment_items,
                       since=ValueCommitment.updated_at)


@bp.get("/commitments/<int:commitment_id>")
@doc("get_commitment")
def get_commitment(commitment_id: int) -> Any:
    """Read one commitment."""
    account, commitment = _commitment(commitment_id)
    return one(commitment_items([(commitment, account.slug)])[0], commitment)


def _commitment_form(account: Account, commitment: ValueCommitment | None
                     ):  # type: ignore[no-untyped-def]
    def make(formdata: Any) -> CommitmentForm:
        form = form_of(CommitmentForm, formdata, obj=commitment)
        entries = domain.entry_choices(get_session(), account_id=account.id)
        form.delivered_by.choices = choices(
            {"0": "—", **{str(i): t for i, _d, t in entries}})
        if formdata is None:
            linked = None
            if commitment is not None:
                linked = get_session().exec(select(ValueEntry.id).where(
                    ValueEntry.commitment_id == commitment.id)).first()
            form.delivered_by.data = linked or 0
        return form
    return make


def _delivering(account: Account, entry_id: int | None) -> ValueEntry | None:
    if not entry_id:
        return None
    return domain_lookup(account.id, entry_id, write=True)[1]


@bp.post("/commitments")
@doc("create_commitment", write=True, created=True)
def create_commitment() -> Any:
    """Add a commitment to an account (`account`: its id or slug)."""
    session, account, form = core.new_in_account(lambda a: _commitment_form(a, None))
    return core.saved_new(
        lambda: domain.create_commitment(
            session, account, form.data_dict(),
            delivered_by=_delivering(account, form.delivered_by.data), user=current_user),
        lambda commitment: commitment_items([(commitment, account.slug)])[0],
        "api.get_commitment", "commitment_id")


@bp.patch("/commitments/<int:commitment_id>")
@doc("update_commitment", write=True)
def update_commitment(commitment_id: int) -> Any:
    """Update a commitment (only the fields given change). If-Match: its ETag."""
    session = core.writing()
    account, commitment = _commitment(commitment_id, write=True)

    def write(form: CommitmentForm, version: int) -> None:
        data = form.data_dict()
        delivered_by = (_delivering(account, form.delivered_by.data)
                        if data["status"] == "delivered" else None)
        domain.update_commitment(session, commitment, data, expected_version=version,
                                 delivered_by=delivered_by, user=current_user)

    return core.updated(commitment, _commitment_form(account, commitment), write,
                        lambda: commitment_items([(commitment, account.slug)])[0])


# --- pulses -------------------------------------------------------------------------------


def pulse_item(pulse: LoyaltyPulse, slug: str) -> dict[str, Any]:
    item = fields(pulse, PULSE_FIELDS)
    item.update(account=slug, account_id=pulse.account_id,
                driver_ranking=list(pulse.driver_ranking or []))
    return item


@bp.get("/pulses")
@doc("list_pulses")
def list_pulses() -> Any:
    """List loyalty pulses (`account`, `stakeholder`); `updated_since` is when recorded
    (a pulse is never changed)."""
    query = _scoped(LoyaltyPulse)
    raw = request.args.get("stakeholder", "")
    if raw:
        if not (raw.isascii() and raw.isdigit()):
            raise Invalid({"stakeholder": ["A stakeholder id."]})
        query = query.where(LoyaltyPulse.stakeholder_id == (id_arg(raw) or 0))
    return core.listed(query, LoyaltyPulse.id, core.with_slugs(pulse_item),
                       since=LoyaltyPulse.created_at)


@bp.get("/pulses/<int:pulse_id>")
@doc("get_pulse")
def get_pulse(pulse_id: int) -> Any:
    """Read one pulse."""
    session = get_session()
    pulse = session.get(LoyaltyPulse, pulse_id)
    if pulse is None:
        abort(404)
    account = get_account_for_user(session, current_user, pulse.account_id)
    return one(pulse_item(pulse, account.slug), pulse)


@bp.post("/pulses")
@doc("create_pulse", write=True, created=True)
def create_pulse() -> Any:
    """Record a pulse taken on a call (`account`, `stakeholder_id`, `taken_on`, the
    answers, `driver_ranking`: the drivers most important first, three to six)."""
    session = core.writing()
    body = dict(core.json_body())
    account = core.body_account(session, current_user, body)
    ranking = body.pop("driver_ranking", None)
    if ranking is not None:
        if not isinstance(ranking, list) or len(ranking) > len(RecordPulseForm.RANK_FIELDS):
            raise Invalid({"driver_ranking": ["A list of up to six value drivers."]})
        body.update(zip(RecordPulseForm.RANK_FIELDS, ranking, strict=False))

    def make(formdata: Any) -> RecordPulseForm:
        form = form_of(RecordPulseForm, formdata)
        form.stakeholder_id.choices = _people_choices(account)
        return form

    try:
        form = core.bind_form(make, body)
    except Invalid as exc:
        rank_errors = [m for name in RecordPulseForm.RANK_FIELDS
                       for m in exc.errors.pop(name, [])]
        if rank_errors:
            exc.errors["driver_ranking"] = sorted(set(rank_errors))
        raise
    stakeholder = get_account_stakeholder(session, account, form.stakeholder_id.data)
    return core.saved_new(
        lambda: domain.record_pulse(session, stakeholder, form.data_dict(),
                                    taken_on=form.taken_on.data, user=current_user),
        lambda pulse: pulse_item(pulse, account.slug), "api.get_pulse", "pulse_id")


__all__ = ["plain"]
